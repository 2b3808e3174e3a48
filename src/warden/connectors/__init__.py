"""Adapters to the social networks, behind one protocol (``base.Connector``)."""
