"""The clinic web app: a server-rendered form, the result page and the printable report."""
