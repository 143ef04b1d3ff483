/**
 * Types for the parts of @lhncbc/ucum-lhc (NLM's UCUM library, CommonJS, ships no .d.ts) that the
 * PatientContext unit conversion uses. Signatures from node_modules/@lhncbc/ucum-lhc/source/ucumLhcUtils.js (v7.1).
 */
declare module '@lhncbc/ucum-lhc' {
  export interface UcumConvertResult {
    status: 'succeeded' | 'failed' | 'error';
    toVal: number | null;
    msg: string[];
  }
  export interface UcumValidateResult {
    status: 'valid' | 'invalid' | 'error';
    ucumCode: string | null;
    msg: string[];
  }
  export interface UcumLhcUtilsInstance {
    convertUnitTo(
      fromUnitCode: string,
      fromVal: number,
      toUnitCode: string,
      options?: { suggest?: boolean; molecularWeight?: number | null; charge?: number | null },
    ): UcumConvertResult;
    validateUnitString(unit: string, suggest?: boolean, valConv?: string): UcumValidateResult;
  }
  const ucum: { UcumLhcUtils: { getInstance(): UcumLhcUtilsInstance } };
  export default ucum;
}
