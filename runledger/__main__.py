from runledger.cli.own_path import leave_the_working_folder_out

leave_the_working_folder_out()

from runledger.cli.main import main  # noqa: E402 - only once the working folder is off sys.path

main()
