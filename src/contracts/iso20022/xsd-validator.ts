import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XmlDocument, XmlError, XmlParseError, XmlValidateError, XsdValidator as SchemaValidator } from 'libxml2-wasm';
import { describeXmlErrors, safeXmlParsing } from './xml-reader.ts';

/** The ISO 20022 messages paystream speaks, by message definition identifier. */
export const Iso20022Messages = {
  pacs008: 'pacs.008.001.08',
  pacs002: 'pacs.002.001.10',
  camt053: 'camt.053.001.08',
} as const;
export type Iso20022Message = (typeof Iso20022Messages)[keyof typeof Iso20022Messages];

/**
 * Where the ISO 20022 schemas are in a checkout: `../shared/data/iso20022/` next to the repository.
 * Deployments pass their own folder (`RtgsGatewayOptions.xsdDir`).
 */
export const defaultXsdDir = fileURLToPath(new URL('../../../../shared/data/iso20022/', import.meta.url));

export interface XsdValidation {
  valid: boolean;
  /**
   * libxml2's messages, each `line N: ...`, with the offending values replaced by `'…'`; empty
   * when valid. Element names stay (`Element '{urn:...}Nm': ...`), so callers can say what failed.
   */
  errors: string[];
}

export interface XsdValidatorOptions {
  /** Folder holding `<message>.xsd`, e.g. `pacs.008.001.08.xsd`. */
  xsdDir: string;
}

/**
 * Validates ISO 20022 documents against their XSD with libxml2 (libxml2-wasm).
 *
 * Each schema is parsed once, in the constructor, and kept for the life of the validator, so a
 * validation is one parse of the document plus one pass of the compiled schema: about 0.1 ms for
 * a pacs.008 (see docs/rtgs.md). That is short enough to do synchronously, on the caller's thread,
 * with no batching or worker; `validate` returns a promise so that callers need not care.
 *
 * A document that is not well-formed, or that does not validate, is an answer (`valid: false`),
 * never an exception. Each validation frees the WebAssembly memory of the document it parsed; the
 * parsed schemas live as long as this object and are freed by libxml2-wasm's finalizer after it.
 */
export class XsdValidator {
  readonly #schemas = new Map<Iso20022Message, SchemaValidator>();

  /** Reads and compiles the schema files once; throws when one is missing or is not a valid XSD. */
  constructor(options: XsdValidatorOptions) {
    for (const message of Object.values(Iso20022Messages)) {
      const schemaDocument = XmlDocument.fromBuffer(readFileSync(join(options.xsdDir, `${message}.xsd`)), { option: safeXmlParsing });
      try {
        this.#schemas.set(message, SchemaValidator.fromDoc(schemaDocument));
      } finally {
        // The compiled schema does not need the document it was compiled from (libxml2-wasm's own
        // tests dispose it before validating), so the schema's source tree need not stay in memory.
        schemaDocument.dispose();
      }
    }
  }

  validate(message: Iso20022Message, xml: string): Promise<XsdValidation> {
    try {
      return Promise.resolve(this.#validate(message, xml));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #validate(message: Iso20022Message, xml: string): XsdValidation {
    let document: XmlDocument;
    try {
      // The string is already decoded: say so, or a declared `encoding="ISO-8859-1"` would make
      // libxml2 decode our UTF-8 bytes a second time.
      document = XmlDocument.fromString(xml, { encoding: 'utf-8', option: safeXmlParsing });
    } catch (error) {
      if (error instanceof XmlParseError)
        return { valid: false, errors: [`not well-formed XML: ${describeXmlErrors(error.details)[0] ?? error.message}`] };
      throw error;
    }
    try {
      this.#schemas.get(message)!.validate(document);
      return { valid: true, errors: [] };
    } catch (error) {
      if (error instanceof XmlValidateError)
        return { valid: false, errors: error.details.length > 0 ? describeXmlErrors(error.details) : ['fails to validate'] };
      // libxml2 gives up with "internal error" on some documents it parsed, e.g. one that still holds
      // a reference to an external entity it was not allowed to load: the document's fault, since
      // the document and the schema here are both ours and alive.
      if (error instanceof XmlError) return { valid: false, errors: [`cannot be validated: ${error.message}`] };
      throw error;
    } finally {
      document.dispose();
    }
  }
}
