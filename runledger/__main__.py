from runledger.cli import main

main()
