import { describe, expect, it } from 'vitest';
import { XmlReadError, attribute, children, readXml, requiredText, text } from './xml-reader.ts';

describe('readXml (libxml2)', () => {
  it('reads elements without their namespace prefix, attributes under @, text as the exact string', () => {
    const root = readXml(
      `<?xml version="1.0" encoding="UTF-8"?>
       <p:Document xmlns:p="urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10">
         <p:Amt Ccy="EUR"> 0001250.50 </p:Amt>
         <p:Id>007</p:Id>
         <p:Empty/>
       </p:Document>`,
    );
    expect(text(root, 'Document/Amt')).toBe('0001250.50');
    expect(attribute(root, 'Document', 'xmlns:p')).toBeUndefined();
    expect(attribute(root, 'Document/Amt', 'Ccy')).toBe('EUR');
    expect(requiredText(root, 'Document/Id')).toBe('007');
    expect(text(root, 'Document/Empty')).toBe('');
  });

  it('decodes entities, character references and CDATA into the text', () => {
    const root = readXml(`<Document><Nm>Smith &amp; Sons &#x2013; <![CDATA[<Ltd>]]></Nm></Document>`);
    expect(text(root, 'Document/Nm')).toBe('Smith & Sons – <Ltd>');
  });

  it('gives a listed element as a list even when there is one, and repeats of another as a list', () => {
    const root = readXml(`<Document><TxInfAndSts><Id>1</Id></TxInfAndSts><Other>a</Other><Other>b</Other></Document>`);
    expect(children(root, 'Document/TxInfAndSts').map((tx) => text(tx, 'Id'))).toEqual(['1']);
    expect(children(root, 'Document/Other').map((other) => other['#text'])).toEqual(['a', 'b']);
  });

  it('refuses what is not well-formed, naming the line', () => {
    expect(() => readXml(`<Document>\n<Id>1</Id>\n<Nm>unclosed</Document>`)).toThrow(XmlReadError);
    expect(() => readXml(`<Document>\n<Id>1</Id>\n<Nm>unclosed</Document>`)).toThrow(/^not well-formed XML: line 3: /);
    expect(() => readXml('')).toThrow(XmlReadError);
    expect(() => readXml('<a>1</a><b>2</b>')).toThrow(XmlReadError);
  });

  it('fetches no external entity (XXE)', () => {
    const attempt = () =>
      readXml(`<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/hostname">]><Document><Nm>&x;</Nm></Document>`);
    let read: string | undefined;
    try {
      read = text(attempt(), 'Document/Nm');
    } catch (error) {
      expect(error).toBeInstanceOf(XmlReadError);
    }
    // Either refused or left unexpanded: never the file's content.
    expect(read ?? '').toBe('');
  });
});
