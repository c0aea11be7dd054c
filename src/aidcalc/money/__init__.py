"""Money: exchange rates, dates, the conversion basis and the conversion of amounts between currencies."""
