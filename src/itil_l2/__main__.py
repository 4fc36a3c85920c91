"""`python -m itil_l2` runs the demo scenario."""

from itil_l2.cli.demo import main

if __name__ == "__main__":
    main()
