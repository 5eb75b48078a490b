"""The paper broker: a built-in market simulator and order engine that needs no credentials."""
