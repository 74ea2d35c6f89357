/**
 * The payment's corridor, `<debtor country ISO3>-<creditor country ISO3>` (e.g. `ZWE-ZAF`), carried
 * on `payments.initiated.v1` for fraud scoring and used here to pick per-corridor screening rules.
 *
 * A party's country is the one it gave; failing that, the country of its bank: the debtor's IBAN
 * (first two letters; the debtor is always an account of this bank), the creditor's IBAN when the
 * account is one, else its bank's BIC (letters 5–6). `XXX` when nothing says (ISO 3166 keeps XA–XZ
 * for user assignment, so it is never a real country).
 */
import type { PaymentOrder } from '../../../contracts/payment.ts';

export const unknownCountry = 'XXX';

export interface Corridor {
  /** `ZWE-ZAF`. */
  code: string;
  debtorCountry: string;
  creditorCountry: string;
}

export function corridorOf(payment: Pick<PaymentOrder, 'debtor' | 'creditor'>): Corridor {
  const debtorCountry = alpha3Of(payment.debtor.country ?? ibanCountry(payment.debtor.account)) ?? unknownCountry;
  const creditorCountry =
    alpha3Of(payment.creditor.country ?? ibanCountry(payment.creditor.account) ?? bicCountry(payment.creditor.agent)) ?? unknownCountry;
  return { code: `${debtorCountry}-${creditorCountry}`, debtorCountry, creditorCountry };
}

/** ISO 3166-1 alpha-3 for an alpha-2 code (any case), or undefined when there is none. */
export function alpha3Of(alpha2: string | null | undefined): string | undefined {
  if (!alpha2) return undefined;
  return alpha3ByAlpha2.get(alpha2.trim().toUpperCase());
}

function ibanCountry(account: string): string | undefined {
  const compact = account.replace(/\s+/g, '').toUpperCase();
  return /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact) ? compact.slice(0, 2) : undefined;
}

function bicCountry(bic: string | null): string | undefined {
  return bic && /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(bic) ? bic.slice(4, 6) : undefined;
}

// ISO 3166-1, every officially assigned code, plus XK (Kosovo), which banks and the EU use.
const alpha3ByAlpha2 = new Map(
  (
    'AD:AND AE:ARE AF:AFG AG:ATG AI:AIA AL:ALB AM:ARM AO:AGO AQ:ATA AR:ARG AS:ASM AT:AUT AU:AUS AW:ABW AX:ALA AZ:AZE ' +
    'BA:BIH BB:BRB BD:BGD BE:BEL BF:BFA BG:BGR BH:BHR BI:BDI BJ:BEN BL:BLM BM:BMU BN:BRN BO:BOL BQ:BES BR:BRA BS:BHS ' +
    'BT:BTN BV:BVT BW:BWA BY:BLR BZ:BLZ CA:CAN CC:CCK CD:COD CF:CAF CG:COG CH:CHE CI:CIV CK:COK CL:CHL CM:CMR CN:CHN ' +
    'CO:COL CR:CRI CU:CUB CV:CPV CW:CUW CX:CXR CY:CYP CZ:CZE DE:DEU DJ:DJI DK:DNK DM:DMA DO:DOM DZ:DZA EC:ECU EE:EST ' +
    'EG:EGY EH:ESH ER:ERI ES:ESP ET:ETH FI:FIN FJ:FJI FK:FLK FM:FSM FO:FRO FR:FRA GA:GAB GB:GBR GD:GRD GE:GEO GF:GUF ' +
    'GG:GGY GH:GHA GI:GIB GL:GRL GM:GMB GN:GIN GP:GLP GQ:GNQ GR:GRC GS:SGS GT:GTM GU:GUM GW:GNB GY:GUY HK:HKG HM:HMD ' +
    'HN:HND HR:HRV HT:HTI HU:HUN ID:IDN IE:IRL IL:ISR IM:IMN IN:IND IO:IOT IQ:IRQ IR:IRN IS:ISL IT:ITA JE:JEY JM:JAM ' +
    'JO:JOR JP:JPN KE:KEN KG:KGZ KH:KHM KI:KIR KM:COM KN:KNA KP:PRK KR:KOR KW:KWT KY:CYM KZ:KAZ LA:LAO LB:LBN LC:LCA ' +
    'LI:LIE LK:LKA LR:LBR LS:LSO LT:LTU LU:LUX LV:LVA LY:LBY MA:MAR MC:MCO MD:MDA ME:MNE MF:MAF MG:MDG MH:MHL MK:MKD ' +
    'ML:MLI MM:MMR MN:MNG MO:MAC MP:MNP MQ:MTQ MR:MRT MS:MSR MT:MLT MU:MUS MV:MDV MW:MWI MX:MEX MY:MYS MZ:MOZ NA:NAM ' +
    'NC:NCL NE:NER NF:NFK NG:NGA NI:NIC NL:NLD NO:NOR NP:NPL NR:NRU NU:NIU NZ:NZL OM:OMN PA:PAN PE:PER PF:PYF PG:PNG ' +
    'PH:PHL PK:PAK PL:POL PM:SPM PN:PCN PR:PRI PS:PSE PT:PRT PW:PLW PY:PRY QA:QAT RE:REU RO:ROU RS:SRB RU:RUS RW:RWA ' +
    'SA:SAU SB:SLB SC:SYC SD:SDN SE:SWE SG:SGP SH:SHN SI:SVN SJ:SJM SK:SVK SL:SLE SM:SMR SN:SEN SO:SOM SR:SUR SS:SSD ' +
    'ST:STP SV:SLV SX:SXM SY:SYR SZ:SWZ TC:TCA TD:TCD TF:ATF TG:TGO TH:THA TJ:TJK TK:TKL TL:TLS TM:TKM TN:TUN TO:TON ' +
    'TR:TUR TT:TTO TV:TUV TW:TWN TZ:TZA UA:UKR UG:UGA UM:UMI US:USA UY:URY UZ:UZB VA:VAT VC:VCT VE:VEN VG:VGB VI:VIR ' +
    'VN:VNM VU:VUT WF:WLF WS:WSM XK:XKX YE:YEM YT:MYT ZA:ZAF ZM:ZMB ZW:ZWE'
  )
    .split(' ')
    .map((pair) => pair.split(':') as [string, string]),
);
