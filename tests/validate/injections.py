"""Problems the validator tests inject into real BANKING77 text: PII, and texts that name their label."""

PII = [
    "Please send the statement to jane.doe@example.org",
    "My card number is 4111 1111 1111 1111, why was it declined?",
    "Transfer it to GB82 WEST 1234 5698 7654 32 today",
    "You can call me on +44 20 7946 0958 about the refund",
    "Deliver the new card to 221B Baker Street please",
]


LEAKS = [
    ("Ordered it ten days ago and the postman still brings nothing [card_arrival]", "card_arrival"),
    ("intent: lost_or_stolen_card - somebody took my wallet on the train", "lost_or_stolen_card"),
    ("label=exchange_rate how much do I get for 100 dollars in yen", "exchange_rate"),
    ("The machine kept the money but the screen said declined_cash_withdrawal", "declined_cash_withdrawal"),
    ("category: pin_blocked, typed the code wrong three times at the shop", "pin_blocked"),
]
