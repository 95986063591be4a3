class ActorCriticPolicy:
    pass
