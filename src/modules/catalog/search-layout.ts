/**
 * Keyboard-layout conversion between the US QWERTY and Russian ЙЦУКЕН layouts (convert-layout):
 * text typed with the wrong layout active ("ghbdtn" for "привет", "Ыефк Цфкы" for "Star Wars")
 * becomes what the same keys give in the other layout.
 */
import ru from 'convert-layout/ru.js';

const CYRILLIC = /[\u0400-\u04ff]/u;

/** Each whitespace-separated token: Cyrillic text goes to the English layout, anything else to Russian. */
export function switchLayout(text: string): string | null {
  const switched = text
    .split(/(\s+)/u)
    .map((part) => (/^\s*$/u.test(part) ? part : CYRILLIC.test(part) ? ru.toEn(part) : ru.fromEn(part)))
    .join('');
  return switched === text ? null : switched;
}
