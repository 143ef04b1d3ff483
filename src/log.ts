import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * One structured logger for the service. Tokens and patient data must never reach the logs:
 * authorization headers, fhirAuthorization and prefetch bodies are redacted even if a caller
 * passes them by mistake, and every string logged, at every level, goes through `redactForLog`,
 * so a FHIR id in a path (`Patient/123`), a search's parameters or a password in a URL cannot slip
 * through an error message or a failure reason.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'cairn' },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        'authorization',
        '*.fhirAuthorization',
        'fhirAuthorization',
        '*.access_token',
        'access_token',
        '*.prefetch',
        'prefetch',
        'token',
        '*.token',
      ],
      censor: '[redacted]',
    },
    formatters: {
      log: (object) => redactDeep(object, 0, new WeakSet()) as Record<string, unknown>,
    },
    hooks: {
      // The message strings (the merging object goes through formatters.log).
      logMethod(args, method) {
        method.apply(this, args.map((a: unknown) => (typeof a === 'string' ? redactForLog(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  // `destination`: where lines go instead of stdout (tests read them).
  const logger = destination ? pino(options, destination) : pino(options);
  // pino formats a child's bindings without `formatters.bindings`: redact them on the way in.
  // Children inherit this method from the root (pino makes them with Object.create), so a
  // grandchild's bindings pass here too.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactDeep(bindings, 0, new WeakSet()) as typeof bindings, childOptions);
  } as typeof logger.child;
  return logger;
}

export type { Logger };

/**
 * The FHIR R4 resource types (R4 §Resource Index). A path segment after one of them is a
 * resource id, which identifies a patient or their data; a segment after any other word (a file
 * path, `ACC/AHA`, `HTTP/1.1`) is left alone.
 */
const RESOURCE_TYPES = new Set(
  ('Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse AuditEvent Basic Binary ' +
    'BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement CarePlan CareTeam CatalogEntry ChargeItem ' +
    'ChargeItemDefinition Claim ClaimResponse ClinicalImpression CodeSystem Communication CommunicationRequest ' +
    'CompartmentDefinition Composition ConceptMap Condition Consent Contract Coverage CoverageEligibilityRequest ' +
    'CoverageEligibilityResponse DetectedIssue Device DeviceDefinition DeviceMetric DeviceRequest DeviceUseStatement ' +
    'DiagnosticReport DocumentManifest DocumentReference EffectEvidenceSynthesis Encounter Endpoint EnrollmentRequest ' +
    'EnrollmentResponse EpisodeOfCare EventDefinition Evidence EvidenceVariable ExampleScenario ExplanationOfBenefit ' +
    'FamilyMemberHistory Flag Goal GraphDefinition Group GuidanceResponse HealthcareService ImagingStudy Immunization ' +
    'ImmunizationEvaluation ImmunizationRecommendation ImplementationGuide InsurancePlan Invoice Library Linkage List ' +
    'Location Measure MeasureReport Media Medication MedicationAdministration MedicationDispense MedicationKnowledge ' +
    'MedicationRequest MedicationStatement MedicinalProduct MedicinalProductAuthorization MedicinalProductContraindication ' +
    'MedicinalProductIndication MedicinalProductIngredient MedicinalProductInteraction MedicinalProductManufactured ' +
    'MedicinalProductPackaged MedicinalProductPharmaceutical MedicinalProductUndesirableEffect MessageDefinition ' +
    'MessageHeader MolecularSequence NamingSystem NutritionOrder Observation ObservationDefinition OperationDefinition ' +
    'OperationOutcome Organization OrganizationAffiliation Parameters Patient PaymentNotice PaymentReconciliation Person ' +
    'PlanDefinition Practitioner PractitionerRole Procedure Provenance Questionnaire QuestionnaireResponse RelatedPerson ' +
    'RequestGroup ResearchDefinition ResearchElementDefinition ResearchStudy ResearchSubject RiskAssessment ' +
    'RiskEvidenceSynthesis Schedule SearchParameter ServiceRequest Slot Specimen SpecimenDefinition StructureDefinition ' +
    'StructureMap Subscription Substance SubstanceNucleicAcid SubstancePolymer SubstanceProtein ' +
    'SubstanceReferenceInformation SubstanceSourceMaterial SubstanceSpecification SupplyDelivery SupplyRequest Task ' +
    'TerminologyCapabilities TestReport TestScript ValueSet VerificationResult VisionPrescription').split(' '),
);

/** `scheme://user:password@` (any userinfo): the userinfo goes. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
/** `Type/id` (a read) or `Type?params` (a search: parameters name the patient). */
const FHIR_PATH = /(?<![A-Za-z0-9_])([A-Z][A-Za-z]+)(\/(?!\[id\])[^\s/?#"'`<>,;:)\]}]+|\?[^\s#"'`<>]+)/g;

/**
 * Removes credentials from URLs and patient identifiers from FHIR paths in a text bound for the
 * log: `http://u:p@ehr/fhir/Patient/123/_history/2?x=1` → `http://[redacted]@ehr/fhir/Patient/[id]/_history/2`,
 * `Observation?patient=123&code=…` → `Observation?…`.
 */
export function redactForLog(text: string): string {
  return text
    .replace(URL_USERINFO, '$1[redacted]@')
    .replace(FHIR_PATH, (match, type: string, rest: string) =>
      RESOURCE_TYPES.has(type) ? (rest.startsWith('/') ? `${type}/[id]` : `${type}?…`) : match,
    );
}

const MAX_DEPTH = 8;
/** Fields the `redact` paths censor anyway: not worth walking (a prefetch can be megabytes). */
const CENSORED = new Set(['prefetch', 'fhirAuthorization', 'access_token', 'token', 'authorization']);

function redactDeep(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactForLog(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (value instanceof Error) {
    // A copy of the same class, so pino's err serializer still reports its type.
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Error & Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) copy[k] = redactDeep(v, depth + 1, seen);
    copy.name = value.name;
    copy.message = redactForLog(value.message);
    if (value.stack !== undefined) copy.stack = redactForLog(value.stack);
    if (value.cause !== undefined) copy.cause = redactDeep(value.cause, depth + 1, seen);
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1, seen));
  // Only plain records are copied; anything else (a Buffer, a Date) is logged as pino would.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = CENSORED.has(k) ? v : redactDeep(v, depth + 1, seen);
  return out;
}

// Last: creating a logger runs the formatters, which need the constants above.
export const log: Logger = createLogger(process.env.NODE_ENV === 'test' ? 'silent' : undefined);
