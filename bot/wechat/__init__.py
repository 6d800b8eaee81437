"""WeChat platform pieces: signatures and crypto, the API client, errors."""
