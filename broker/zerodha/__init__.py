"""Zerodha Kite Connect v3 broker plugin: REST (auth, orders, data, funds), master contract, binary ticker."""
