from runledger.cli.main import main

main()
