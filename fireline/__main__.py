from fireline.cli import main

main()
