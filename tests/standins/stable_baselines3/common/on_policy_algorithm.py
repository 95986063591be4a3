from stable_baselines3.common.base_class import BaseAlgorithm


class OnPolicyAlgorithm(BaseAlgorithm):
    def __init__(
        self,
        policy,
        env,
        learning_rate,
        n_steps,
        gamma,
        gae_lambda,
        ent_coef,
        vf_coef,
        max_grad_norm,
        use_sde,
        sde_sample_freq,
        rollout_buffer_class=None,
        rollout_buffer_kwargs=None,
        stats_window_size=100,
        tensorboard_log=None,
        monitor_wrapper=True,
        policy_kwargs=None,
        verbose=0,
        seed=None,
        device="auto",
        _init_setup_model=True,
        supported_action_spaces=None,
    ):
        super().__init__(
            policy=policy,
            env=env,
            learning_rate=learning_rate,
            policy_kwargs=policy_kwargs,
            verbose=verbose,
            device=device,
            use_sde=use_sde,
            sde_sample_freq=sde_sample_freq,
            support_multi_env=True,
            monitor_wrapper=monitor_wrapper,
            seed=seed,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            supported_action_spaces=supported_action_spaces,
        )
        self.n_steps = n_steps
        self.gamma = gamma
