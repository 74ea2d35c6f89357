import { describe, expect, it } from 'vitest';
import {
  buildCamt053,
  buildPacs002,
  buildPacs008,
  defaultXsdDir,
  Iso20022BuildError,
  Iso20022Messages,
  parsePacs002,
  parsePacs008,
  XsdValidator,
  type CreditTransferInput,
} from './index.ts';
import { samplePayment } from './test-payments.ts';
import { withoutValues } from './xml-reader.ts';

const validator = new XsdValidator({ xsdDir: defaultXsdDir });

function transferInput(overrides: Partial<CreditTransferInput['payment']> = {}): CreditTransferInput {
  return {
    messageId: 'MSG-1',
    createdAt: '2024-05-02T09:30:01.000Z',
    settlementDate: '2024-05-02',
    instructingAgentBic: 'PSTRDEFFXXX',
    instructedAgentBic: 'RTGSDEFFXXX',
    payment: samplePayment(overrides),
  };
}

describe('pacs.008.001.08', () => {
  it('built from a payment validates against the real XSD and reads back', async () => {
    const xml = buildPacs008(transferInput());
    expect(await validator.validate(Iso20022Messages.pacs008, xml)).toEqual({ valid: true, errors: [] });
    expect(xml).toContain('<IntrBkSttlmAmt Ccy="EUR">1250.50</IntrBkSttlmAmt>');
    expect(xml).toContain('<SttlmMtd>CLRG</SttlmMtd>');
    expect(xml).toContain('<ChrgBr>SLEV</ChrgBr>');
    const transfer = parsePacs008(xml);
    expect(transfer).toMatchObject({
      messageId: 'MSG-1',
      uetr: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
      instructionId: '0190f2a47c1e7b3a9d2e5f6a7b8c9d0e',
      endToEndId: 'E2E-2024-0001',
      amountMinor: 125_050n,
      currency: 'EUR',
      settlementDate: '2024-05-02',
      instructingAgentBic: 'PSTRDEFFXXX',
      instructedAgentBic: 'RTGSDEFFXXX',
      creditorAgentBic: 'BNPAFRPPXXX',
      debtorAccount: 'DE89370400440532013000',
      creditorAccount: 'FR1420041010050500013M02606',
      remittanceInformation: ['Invoice 42'],
    });
  });

  it('carries the parties’ postal address, birth details and national id (Travel Rule) and still validates', async () => {
    const creditor = {
      ...samplePayment().creditor,
      postalAddress: { streetName: 'Rue de Rivoli', buildingNumber: '1', postCode: '75001', townName: 'Paris', country: 'FR' },
      dateOfBirth: '1980-02-29',
      placeOfBirth: { city: 'Lyon', country: 'FR' },
      nationalId: { id: '12AB34567', scheme: 'PASSPORT', issuer: 'FR' },
    };
    const debtor = {
      ...samplePayment().debtor,
      postalAddress: { streetName: null, buildingNumber: null, postCode: null, townName: 'Berlin', country: 'DE' },
      nationalId: { id: 'T22000129', scheme: 'NATIONAL_ID', issuer: null },
    };
    const xml = buildPacs008(transferInput({ creditor, debtor }));
    expect(await validator.validate(Iso20022Messages.pacs008, xml)).toEqual({ valid: true, errors: [] });
    expect(xml).toContain(
      '<PstlAdr><StrtNm>Rue de Rivoli</StrtNm><BldgNb>1</BldgNb><PstCd>75001</PstCd><TwnNm>Paris</TwnNm><Ctry>FR</Ctry></PstlAdr>',
    );
    expect(xml).toContain(
      '<DtAndPlcOfBirth><BirthDt>1980-02-29</BirthDt><CityOfBirth>Lyon</CityOfBirth><CtryOfBirth>FR</CtryOfBirth></DtAndPlcOfBirth>',
    );
    expect(xml).toContain('<Othr><Id>12AB34567</Id><SchmeNm><Cd>CCPT</Cd></SchmeNm><Issr>FR</Issr></Othr>');
    expect(xml).toContain('<Othr><Id>T22000129</Id><SchmeNm><Cd>NIDN</Cd></SchmeNm></Othr>');
  });

  it('an invalid document fails, with the reason (the validator really validates)', async () => {
    const xml = buildPacs008(transferInput())
      .replace('<ChrgBr>SLEV</ChrgBr>', '<ChrgBr>NOPE</ChrgBr>')
      .replace('<UETR>e3b0c442', '<UETR>XYZ0c442');
    const result = await validator.validate(Iso20022Messages.pacs008, xml);
    expect(result.valid).toBe(false);
    expect(result.errors.join('\n')).toMatch(/ChrgBr/);
    expect(result.errors.join('\n')).toMatch(/UETR/);
  });

  it('a document that is not well-formed is invalid, not an exception', async () => {
    const result = await validator.validate(Iso20022Messages.pacs008, '<Document><Open></Document>');
    expect(result.valid).toBe(false);
    expect(result.errors[0]).toMatch(/not well-formed/);
  });

  it.each([
    ['EUR', 125_050n, '1250.50'],
    ['JPY', 1_234_567n, '1234567'],
    ['BHD', 1_000_001n, '1000.001'],
    ['EUR', 1n, '0.01'],
    ['BHD', 5n, '0.005'],
  ])('writes %s %s minor units exactly as %s, valid, and reads them back', async (currency, amountMinor, decimal) => {
    const xml = buildPacs008(transferInput({ currency, amountMinor }));
    expect(xml).toContain(`<IntrBkSttlmAmt Ccy="${currency}">${decimal}</IntrBkSttlmAmt>`);
    expect((await validator.validate(Iso20022Messages.pacs008, xml)).valid).toBe(true);
    expect(parsePacs008(xml)).toMatchObject({ amountMinor, currency });
  });

  it('escapes markup in names, drops what XML cannot carry, and splits long remittance into 140-character lines', async () => {
    const name = `O'Brien & <Sons> "Ltd"\u0001`;
    const remittance = 'x'.repeat(300);
    const xml = buildPacs008(
      transferInput({ creditor: { name, account: '12345678', agent: 'BNPAFRPPXXX', country: null }, remittanceInformation: remittance }),
    );
    expect(xml).toContain('<Nm>O&apos;Brien &amp; &lt;Sons&gt; &quot;Ltd&quot;</Nm>');
    expect(xml).toContain('<CdtrAcct><Id><Othr><Id>12345678</Id></Othr></Id></CdtrAcct>');
    expect((await validator.validate(Iso20022Messages.pacs008, xml)).valid).toBe(true);
    const transfer = parsePacs008(xml);
    expect(transfer.creditorName).toBe(`O'Brien & <Sons> "Ltd"`);
    expect(transfer.creditorAccount).toBe('12345678');
    expect(transfer.remittanceInformation.map((line) => line.length)).toEqual([140, 140, 20]);
  });

  it('refuses a payment without a creditor agent: the RTGS cannot route it', () => {
    expect(() => buildPacs008(transferInput({ creditor: { name: 'X', account: '1', agent: null, country: null } }))).toThrow(
      Iso20022BuildError,
    );
  });
});

describe('pacs.002.001.10', () => {
  it('settled and rejected statuses validate and read back', async () => {
    const xml = buildPacs002({
      messageId: 'STS-1',
      createdAt: '2024-05-02T09:30:02.000Z',
      instructingAgentBic: 'RTGSDEFFXXX',
      instructedAgentBic: 'PSTRDEFFXXX',
      originalMessageId: 'MSG-1',
      transactions: [
        {
          uetr: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
          originalEndToEndId: 'E2E-1',
          status: 'ACSC',
          settlementDate: '2024-05-02',
          amountMinor: 1_000_001n,
          currency: 'BHD',
          acceptedAt: '2024-05-02T09:30:02.000Z',
        },
        { uetr: '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f', status: 'RJCT', reasonCode: 'AC04', reasonText: 'Account closed' },
      ],
    });
    expect(await validator.validate(Iso20022Messages.pacs002, xml)).toEqual({ valid: true, errors: [] });
    const report = parsePacs002(xml);
    expect(report.originalMessageId).toBe('MSG-1');
    expect(report.transactions[0]).toMatchObject({
      status: 'ACSC',
      settlementDate: '2024-05-02',
      amountMinor: 1_000_001n,
      currency: 'BHD',
    });
    expect(report.transactions[1]).toMatchObject({ status: 'RJCT', reasonCode: 'AC04', reasonText: 'Account closed' });
  });
});

describe('camt.053.001.08', () => {
  it('an end-of-day statement validates, with exact balances', async () => {
    const xml = buildCamt053({
      messageId: 'STMT-1',
      createdAt: '2024-05-02T23:59:59.000Z',
      statements: [
        {
          id: 'PSTRDEFFXXX-JPY-20240502',
          accountId: 'RTGS-PSTRDEFFXXX',
          currency: 'JPY',
          servicerBic: 'RTGSDEFFXXX',
          date: '2024-05-02',
          openingBalanceMinor: 100n,
          entries: [
            {
              reference: 'S1',
              amountMinor: 300n,
              direction: 'DBIT',
              bookedAt: '2024-05-02T10:00:00.000Z',
              valueDate: '2024-05-02',
              messageId: 'M1',
              endToEndId: 'E1',
              uetr: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
            },
            {
              reference: 'S2',
              amountMinor: 50n,
              direction: 'CRDT',
              bookedAt: '2024-05-02T11:00:00.000Z',
              valueDate: '2024-05-02',
              messageId: 'M2',
              instructionId: 'I2',
              endToEndId: 'E2',
              uetr: '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
            },
          ],
        },
      ],
    });
    expect(await validator.validate(Iso20022Messages.camt053, xml)).toEqual({ valid: true, errors: [] });
    expect(xml).toContain('<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="JPY">150</Amt><CdtDbtInd>DBIT</CdtDbtInd>');
  });
});

describe('XsdValidator', () => {
  it('gives each document of a burst its own verdict, and is fast', async () => {
    const good = buildPacs008(transferInput());
    const bad = good.replace('<NbOfTxs>1</NbOfTxs>', '<NbOfTxs>one</NbOfTxs>');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) => validator.validate(Iso20022Messages.pacs008, index % 10 === 3 ? bad : good)),
    );
    expect(results.filter((result) => !result.valid)).toHaveLength(4);
    expect(
      results.filter((result, index) => index % 10 === 3).every((result) => result.errors.some((error) => error.includes('NbOfTxs'))),
    ).toBe(true);
    const timesMs = [];
    for (let run = 0; run < 200; run++) {
      const started = performance.now();
      await validator.validate(Iso20022Messages.pacs008, good);
      timesMs.push(performance.now() - started);
    }
    const medianMs = timesMs.sort((a, b) => a - b)[100]!;
    console.log(`libxml2-wasm: one pacs.008 validation, median of 200: ${(medianMs * 1000).toFixed(0)} µs`);
  });

  it('names the invalid element but never quotes its value, even one holding quotes', async () => {
    const xml = buildPacs008(transferInput())
      .replace('<NbOfTxs>1</NbOfTxs>', "<NbOfTxs>O'Brien is here</NbOfTxs>")
      .replace('<ChrgBr>SLEV</ChrgBr>', '<ChrgBr>SECRET</ChrgBr>');
    const result = await validator.validate(Iso20022Messages.pacs008, xml);
    expect(result.valid).toBe(false);
    expect(result.errors).toHaveLength(2);
    expect(result.errors.join('\n')).toMatch(/Element '\{[^}]+\}NbOfTxs'.*The value '…' is not accepted by the pattern/);
    expect(result.errors.join('\n')).not.toMatch(/Brien|SECRET/);
    expect(result.errors[1]).toMatch(/Element '\{[^}]+\}ChrgBr'.*The value '…' is not an element of the set/);
  });

  it.each([
    ['empty', ''],
    ['not XML', 'hello'],
    ['another message', '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10"/>'],
    ['an external entity it may not load', '<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><Document>&e;</Document>'],
  ])('answers invalid, never throws, for %s', async (_, xml) => {
    const result = await validator.validate(Iso20022Messages.pacs008, xml);
    expect(result.valid).toBe(false);
    expect(result.errors.length).toBeGreaterThan(0);
    expect(result.errors.join('\n')).not.toMatch(/root:/); // nothing of /etc/passwd
  });
});

describe('withoutValues', () => {
  it.each([
    [
      "Element '{ns}Nm': [facet 'maxLength'] The value 'Ada' has a length of '3'.",
      "Element '{ns}Nm': [facet 'maxLength'] The value '…' has a length of '3'.",
    ],
    [
      "Element '{ns}Dt': 'it's 2024' is not a valid value of the atomic type 'ISODate'.",
      "Element '{ns}Dt': '…' is not a valid value of the atomic type 'ISODate'.",
    ],
    [
      "Element '{ns}Amt', attribute 'Ccy': 'e u r' is not a valid value of the atomic type 'Ccy'.",
      "Element '{ns}Amt', attribute 'Ccy': '…' is not a valid value of the atomic type 'Ccy'.",
    ],
    ["Element '{ns}Foo': This element is not expected.", "Element '{ns}Foo': This element is not expected."],
  ])('%s', (message, redacted) => {
    expect(withoutValues(message)).toBe(redacted);
  });
});
