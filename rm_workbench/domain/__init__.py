"""Pure rules of the bank: no Qt, no database session, no network."""
