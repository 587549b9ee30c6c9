#!/usr/bin/env python
"""Django's command-line utility for Agora."""

from agora.manage import main

if __name__ == "__main__":
    main()
