"""``python -m yoi_ticket ...`` behaves like ``yoi-ticket ...``."""

from yoi_ticket.cli.app import ticket_main

if __name__ == "__main__":
    ticket_main()
