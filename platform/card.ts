/**
 * What can be told from a card number without asking anyone: its Luhn check and its brand. The
 * card vault (payment-sim/vault.ts) works both out when it stores a number, so that nothing after
 * it needs the number for them; payment preparation still uses them for sagas started before
 * tokenization, whose input holds the number.
 */

/** The Luhn (mod 10) check digit is right. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The card scheme, from the number's first digits (only the ones the simulator tells apart). */
export function cardBrand(cardNumber: string): string {
  if (cardNumber.startsWith('4')) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(cardNumber)) return 'mastercard';
  if (/^3[47]/.test(cardNumber)) return 'amex';
  if (cardNumber.startsWith('9')) return 'local';
  return 'other';
}
