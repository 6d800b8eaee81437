"""Photos and voice: rows for what residents and members send, the bytes in shared storage,
audio conversion (PyAV) and speech to text."""
