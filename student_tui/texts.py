"""Longer interface texts, kept here so translators find them in one place (the English text
is the msgid in the .po catalogs)."""

RULES = """\
**Read these rules carefully before you start.**

- Phones, smart watches, earphones and any other devices are **not allowed**. If one is found, you will be asked to leave the room and your result will be cancelled.
- Do not talk during the test and do not look at other screens.
- You may not leave the room during the test.
- You may use a pen, blank paper and a calculator.
- If an item is hard, skip it and come back to it later.
- On the left of the screen there are aids: the periodic table and the solubility table.
- The time left is always shown at the top of the screen. You have {duration} in all, breaks included.
- A 10-minute break is offered from time to time. It is your choice: you may keep working.
- When you finish a subject, press "Next subject".
- If you need help, raise your hand: the administrator will come to you.

When you have read the rules, tick "I agree" and press "Start testing". Good luck!
"""

CONFIDENTIAL = """\
This is not a test: there are no right or wrong answers.
Your answers are confidential: nobody at your school will see them."""

ALL = [RULES, CONFIDENTIAL]
