"""Market-data WebSocket proxy: authenticates feed clients and fans out ZeroMQ ticks to them."""
