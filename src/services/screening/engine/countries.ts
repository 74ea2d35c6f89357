/**
 * Country names as the lists spell them ("Iran (Islamic Republic of)", "Korea, North", "Burma")
 * and as parties give them (ISO 3166-1 alpha-2 or an English name) resolved to one ISO code, so
 * that "IR" and "nationality Iran" agree. English names come from the runtime's ICU data
 * (Intl.DisplayNames); the aliases below cover the spellings the lists use that ICU does not.
 */
import { foldName } from './normalize.ts';

const aliases: Record<string, string> = {
  'iran islamic republic of': 'IR',
  'iran islamic republic': 'IR',
  'korea north': 'KP',
  'north korea': 'KP',
  'democratic peoples republic of korea': 'KP',
  'korea democratic peoples republic of': 'KP',
  dprk: 'KP',
  'korea south': 'KR',
  'south korea': 'KR',
  'republic of korea': 'KR',
  'korea republic of': 'KR',
  burma: 'MM',
  'syrian arab republic': 'SY',
  'russian federation': 'RU',
  russia: 'RU',
  'viet nam': 'VN',
  vietnam: 'VN',
  turkey: 'TR',
  turkiye: 'TR',
  'lao peoples democratic republic': 'LA',
  laos: 'LA',
  'democratic republic of the congo': 'CD',
  'congo democratic republic of the': 'CD',
  'congo democratic republic': 'CD',
  drc: 'CD',
  'republic of the congo': 'CG',
  'congo republic of the': 'CG',
  congo: 'CG',
  'united republic of tanzania': 'TZ',
  'tanzania united republic of': 'TZ',
  'bolivia plurinational state of': 'BO',
  'venezuela bolivarian republic of': 'VE',
  'moldova republic of': 'MD',
  'republic of moldova': 'MD',
  'united states of america': 'US',
  'united states': 'US',
  usa: 'US',
  'united kingdom of great britain and northern ireland': 'GB',
  'united kingdom': 'GB',
  uk: 'GB',
  'great britain': 'GB',
  'state of palestine': 'PS',
  palestinian: 'PS',
  'west bank': 'PS',
  gaza: 'PS',
  'cote divoire': 'CI',
  'ivory coast': 'CI',
  'cabo verde': 'CV',
  'czech republic': 'CZ',
  czechia: 'CZ',
  'the netherlands': 'NL',
  netherlands: 'NL',
  'the gambia': 'GM',
  gambia: 'GM',
  kosovo: 'XK',
  'region crimea': 'UA',
  crimea: 'UA',
  'micronesia federated states of': 'FM',
  'brunei darussalam': 'BN',
  eswatini: 'SZ',
  swaziland: 'SZ',
  macedonia: 'MK',
  'north macedonia': 'MK',
  'the former yugoslav republic of macedonia': 'MK',
  'holy see': 'VA',
  'saint kitts and nevis': 'KN',
  'saint vincent and the grenadines': 'VC',
  'saint lucia': 'LC',
  'hong kong': 'HK',
  macau: 'MO',
  macao: 'MO',
  taiwan: 'TW',
  china: 'CN',
  'peoples republic of china': 'CN',
  'bosnia and herzegovina': 'BA',
  'bosnia herzegovina': 'BA',
  'serbia and montenegro': 'RS',
  yugoslavia: 'RS',
  'timor leste': 'TL',
  'east timor': 'TL',
  'sao tome and principe': 'ST',
  curacao: 'CW',
  'british virgin islands': 'VG',
  'virgin islands british': 'VG',
  'united arab emirates': 'AE',
  uae: 'AE',
  kyrgyzstan: 'KG',
  'kyrgyz republic': 'KG',
  myanmar: 'MM',
  'trinidad and tobago': 'TT',
  'cote d ivoire': 'CI',
  bahamas: 'BS',
  'netherlands antilles': 'CW',
  'macedonia the former yugoslav republic of': 'MK',
  'china hong kong special administrative region': 'HK',
  'region gaza': 'PS',
  'region northern mali': 'ML',
  sudan: 'SD',
  'south sudan': 'SS',
  palestine: 'PS',
  somaliland: 'SO',
  'man isle of': 'IM',
  'isle of man': 'IM',
};

let byName: Map<string, string> | undefined;

/** The ISO alpha-2 code for a code or a country name, or undefined when it is not recognised. */
export function countryCode(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (/^[A-Za-z]{2}$/.test(trimmed)) {
    const code = trimmed.toUpperCase();
    return namesByCode().has(code) ? code : undefined;
  }
  const folded = foldName(trimmed.replace(/\(([^)]*)\)/g, ' $1 '));
  return codesByName().get(folded) ?? codesByName().get(folded.replace(/^the | the$/g, ''));
}

function codesByName(): Map<string, string> {
  if (byName) return byName;
  byName = new Map();
  for (const [code, name] of namesByCode()) byName.set(foldName(name), code);
  for (const [name, code] of Object.entries(aliases)) byName.set(name, code);
  return byName;
}

let byCode: Map<string, string> | undefined;

function namesByCode(): Map<string, string> {
  if (byCode) return byCode;
  byCode = new Map();
  const display = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  for (let first = 65; first <= 90; first += 1) {
    for (let second = 65; second <= 90; second += 1) {
      const code = String.fromCharCode(first, second);
      const name = display.of(code);
      if (name !== undefined && name !== code) byCode.set(code, name);
    }
  }
  return byCode;
}
