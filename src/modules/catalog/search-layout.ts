/**
 * Keyboard-layout conversion between the US QWERTY and Russian ЙЦУКЕН layouts: text typed with
 * the wrong layout active ("ghbdtn" for "привет", "Ыефк Цфкы" for "Star Wars") is turned into
 * what the same keys give in the other layout.
 */
const EN = 'qwertyuiop[]asdfghjkl;\'zxcvbnm,.`QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>~';
const RU = 'йцукенгшщзхъфывапролджэячсмитьбюёЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ';

const toRu = new Map<string, string>();
const toEn = new Map<string, string>();
for (let i = 0; i < EN.length; i++) {
  toRu.set(EN[i]!, RU[i]!);
  toEn.set(RU[i]!, EN[i]!);
}

const CYRILLIC = /[\u0400-\u04ff]/;

/** One whitespace-separated token: Cyrillic text goes to the English layout, anything else to Russian. */
function switchToken(token: string): string {
  const map = CYRILLIC.test(token) ? toEn : toRu;
  let out = '';
  for (const ch of token) out += map.get(ch) ?? ch;
  return out;
}

/** The text as typed in the other layout, or `null` when no key would change. */
export function switchLayout(text: string): string | null {
  const switched = text
    .split(/(\s+)/)
    .map((part) => (/^\s*$/.test(part) ? part : switchToken(part)))
    .join('');
  return switched === text ? null : switched;
}
