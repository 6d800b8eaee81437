"""育英社情, the monthly digest: what it reads (a month's tickets, thanks, ratings) and how it is built."""
