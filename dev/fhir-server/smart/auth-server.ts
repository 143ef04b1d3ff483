import { OperationOutcomeError } from '@medplum/core';
import type { HumanName, Patient, Resource } from '@medplum/fhirtypes';
import { isFhirResourceType } from '../definitions.js';
import type { DevRepository } from '../repository.js';
import { smartEndpoints } from './discovery.js';
import { ExpiringStore } from './expiring-store.js';
import type { PatientRow } from './html.js';
import { isCodeVerifier, isS256Challenge, verifierMatches } from './pkce.js';
import { checkRedirect, toOrigin } from './redirects.js';
import { decideScopes, parseResourceScope } from './scopes.js';
import type { ResourceScope } from './scopes.js';
import { DevSigningKey } from './signing-key.js';

export interface SmartOptions {
  /**
   * Require a live access token from this server on FHIR requests, with patient-level scopes
   * confining reads to the token's patient compartment. Off by default: the dev server is
   * otherwise open, as the integration tests and `npm run demo` expect.
   */
  enforce?: boolean;
  /** Origins (besides loopback ones) that redirect URIs and app launch URLs may use. */
  allowedOrigins?: string[];
  /** Default 3600: a dev session of an hour without refresh tokens, which this server does not issue. */
  accessTokenLifetimeSeconds?: number;
  /** Default 60: well inside the 10-minute maximum RFC 6749 §4.1.2 recommends for authorization codes. */
  codeLifetimeSeconds?: number;
  /** Default 600: a launch is followed at once; the same 10-minute bound as for codes (RFC 6749 §4.1.2). */
  launchLifetimeSeconds?: number;
}

/** What an EHR launch token stands for: the context the launcher chose. */
interface LaunchContext {
  patient: string;
  encounter?: string;
  /** e.g. Practitioner/123 */
  user?: string;
  needPatientBanner: boolean;
  /** CDS Hooks 2.0 Link.appContext, given back in the token response (see launch()). */
  appContext?: string;
}

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  fhirBase: string;
  patient?: string;
  encounter?: string;
  user?: string;
  nonce?: string;
  needPatientBanner: boolean;
  appContext?: string;
}

/** A live access token's grant. Times are seconds since the epoch, as in JWT and RFC 7662. */
export interface AccessGrant {
  clientId: string;
  scopes: string[];
  resourceScopes: ResourceScope[];
  fhirBase: string;
  patient?: string;
  encounter?: string;
  user?: string;
  issuedAt: number;
  expiresAt: number;
}

/** An HTML answer: an error page the browser cannot be redirected from, or the patient picker. */
export type PageOutcome =
  | { kind: 'error'; status: number; title: string; message: string }
  | { kind: 'pick-patient'; patients: PatientRow[]; choose: (patientId: string) => string };

export type BrowserOutcome = PageOutcome | { kind: 'redirect'; location: string };

export interface JsonOutcome {
  status: number;
  body: Record<string, unknown>;
}

/** Resource types SMART allows as the fhirUser (SMART App Launch 2.0, "Scopes and Launch Context"). */
const USER_TYPES = new Set(['Practitioner', 'PractitionerRole', 'Patient', 'RelatedPerson', 'Person']);

/**
 * The longest appContext the launcher takes. It travels in the launch URL, whose practical limit
 * in browsers and proxies is a few thousand characters; Cairn's cards send about a hundred.
 */
export const MAX_APP_CONTEXT_CHARS = 2000;

/** The query parameter the patient picker adds to the authorize URL: not an OAuth parameter. */
export const PICKED_PATIENT_PARAM = 'picked_patient';

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function displayName(names: HumanName[] | undefined): string {
  const name = names?.find((n) => n.use === 'official') ?? names?.[0];
  if (!name) return '';
  if (name.text) return name.text;
  return [...(name.given ?? []), name.family ?? ''].join(' ').trim();
}

function oauthError(status: number, error: string, description: string): JsonOutcome {
  return { status, body: { error, error_description: description } };
}

/** Client id from an HTTP Basic header (`id:secret`, secret ignored: public clients only), if any. */
function basicClientId(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  try {
    // The id is form-encoded inside the header (RFC 6749 §2.3.1).
    return decodeURIComponent(colon < 0 ? decoded : decoded.slice(0, colon)) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The dev server's SMART authorization server: EHR and standalone launch, authorization code
 * grant with PKCE S256, id_tokens, RFC 7662 introspection. No login and no consent screen:
 * every well-formed request from an allowed redirect URI is approved.
 */
export class SmartAuthServer {
  readonly enforce: boolean;
  private readonly allowedOrigins: string[];
  private readonly accessLifetimeMs: number;
  private readonly codeLifetimeMs: number;
  private readonly launchLifetimeMs: number;
  private readonly launches: ExpiringStore<LaunchContext>;
  private readonly codes: ExpiringStore<CodeGrant>;
  /** Redeemed codes, kept as long as their token lives, so a replay can revoke it (RFC 6749 §4.1.2). */
  private readonly redeemed: ExpiringStore<string>;
  private readonly tokens: ExpiringStore<AccessGrant>;
  readonly signingKey = new DevSigningKey();

  constructor(
    private readonly repo: DevRepository,
    options: SmartOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.enforce = options.enforce ?? false;
    this.allowedOrigins = (options.allowedOrigins ?? []).map(toOrigin);
    this.accessLifetimeMs = (options.accessTokenLifetimeSeconds ?? 3600) * 1000;
    this.codeLifetimeMs = (options.codeLifetimeSeconds ?? 60) * 1000;
    this.launchLifetimeMs = (options.launchLifetimeSeconds ?? 600) * 1000;
    this.launches = new ExpiringStore(now);
    this.codes = new ExpiringStore(now);
    this.redeemed = new ExpiringStore(now);
    this.tokens = new ExpiringStore(now);
  }

  private async read(resourceType: string, id: string): Promise<Resource | undefined> {
    try {
      return await this.repo.readResource(resourceType, id);
    } catch (err) {
      if (err instanceof OperationOutcomeError) return undefined;
      throw err;
    }
  }

  /** The server's patients for the picker, by name then id. */
  async patientRows(): Promise<PatientRow[]> {
    const bundle = await this.repo.search<Patient>({ resourceType: 'Patient' });
    return (bundle.entry ?? [])
      .flatMap((e) => (e.resource ? [e.resource] : []))
      .map((p) => ({
        id: p.id,
        name: displayName(p.name),
        ...(p.birthDate ? { birthDate: p.birthDate } : {}),
        ...(p.gender ? { gender: p.gender } : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  /** The user when the launch names none: the Practitioner with the smallest id, so the same one every run. */
  private async defaultUser(): Promise<string | undefined> {
    const bundle = await this.repo.search({ resourceType: 'Practitioner' });
    const ids = (bundle.entry ?? []).flatMap((e) => (e.resource?.id ? [e.resource.id] : [])).sort();
    return ids[0] === undefined ? undefined : `Practitioner/${ids[0]}`;
  }

  /**
   * `GET {base}/launch`: mints a launch token for a patient (and optionally an encounter and a
   * user) and sends the browser to the app's launch URL with `iss` and `launch`, as an EHR
   * would. Without a patient it shows the patient picker, whose links come back here.
   *
   * `appContext` is what a CDS Hooks card's SMART link carries (CDS Hooks 2.0, Link.appContext):
   * the EHR keeps it with the launch and returns it, as it is, in the token response, so the app
   * opens at what the card was about. An opaque string here, as in the spec.
   */
  async launch(params: URLSearchParams, fhirBase: string): Promise<BrowserOutcome> {
    const app = checkRedirect(params.get('app'), this.allowedOrigins);
    if (!app.ok) return { kind: 'error', status: 400, title: 'Cannot launch', message: `The app parameter (the app's launch URL) ${app.reason}.` };

    const patient = params.get('patient');
    if (!patient) {
      return {
        kind: 'pick-patient',
        patients: await this.patientRows(),
        choose: (id) => {
          const next = new URLSearchParams(params);
          next.set('patient', id);
          return `${smartEndpoints(fhirBase).launch}?${next.toString()}`;
        },
      };
    }
    if (!(await this.read('Patient', patient))) {
      return { kind: 'error', status: 404, title: 'Cannot launch', message: `The server holds no Patient/${patient}.` };
    }

    const context: LaunchContext = { patient, needPatientBanner: params.get('need_patient_banner') !== 'false' };
    const appContext = params.get('appContext');
    if (appContext !== null) {
      if (appContext.length > MAX_APP_CONTEXT_CHARS) {
        return { kind: 'error', status: 400, title: 'Cannot launch', message: `appContext is ${appContext.length} characters long; this launcher takes at most ${MAX_APP_CONTEXT_CHARS}.` };
      }
      context.appContext = appContext;
    }
    const encounter = params.get('encounter');
    if (encounter) {
      const found = await this.read('Encounter', encounter);
      const subject = found?.resourceType === 'Encounter' ? found.subject?.reference : undefined;
      if (subject !== `Patient/${patient}`) {
        return { kind: 'error', status: 400, title: 'Cannot launch', message: `Encounter/${encounter} is not an encounter of Patient/${patient} on this server.` };
      }
      context.encounter = encounter;
    }
    const user = params.get('user');
    if (user) {
      const parts = user.includes('/') ? user.split('/') : ['Practitioner', user];
      const [type = '', id = ''] = parts;
      if (parts.length !== 2 || !USER_TYPES.has(type) || !id || !(await this.read(type, id))) {
        return { kind: 'error', status: 400, title: 'Cannot launch', message: `The user must be a ${[...USER_TYPES].join(', ')} on this server (Type/id, or a Practitioner id); ${user} is not.` };
      }
      context.user = `${type}/${id}`;
    }

    const { handle } = this.launches.add(context, this.launchLifetimeMs);
    const location = new URL(app.url);
    location.searchParams.set('iss', fhirBase);
    location.searchParams.set('launch', handle);
    return { kind: 'redirect', location: location.toString() };
  }

  /**
   * `GET /auth/authorize`. Errors before the redirect URI is known to be acceptable are shown
   * as a page; later ones go back to the app as `error=` (RFC 6749 §4.1.2.1).
   * @param fhirBases the base URLs `aud` may name: as the client addressed the server, and as it listens.
   */
  async authorize(params: URLSearchParams, fhirBases: readonly string[]): Promise<BrowserOutcome> {
    const clientId = params.get('client_id');
    if (!clientId) return { kind: 'error', status: 400, title: 'Authorization request refused', message: 'client_id is missing.' };
    const redirect = checkRedirect(params.get('redirect_uri'), this.allowedOrigins);
    if (!redirect.ok) return { kind: 'error', status: 400, title: 'Authorization request refused', message: `redirect_uri ${redirect.reason}.` };

    const state = params.get('state');
    const back = (query: Record<string, string>): BrowserOutcome => {
      const location = new URL(redirect.url);
      for (const [key, value] of Object.entries(query)) location.searchParams.set(key, value);
      if (state !== null) location.searchParams.set('state', state);
      return { kind: 'redirect', location: location.toString() };
    };
    const fail = (error: string, description: string): BrowserOutcome => back({ error, error_description: description });

    if (params.get('response_type') !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if (!state) return fail('invalid_request', 'state is required (SMART App Launch)');
    const challenge = params.get('code_challenge');
    if (params.get('code_challenge_method') !== 'S256' || !challenge) {
      return fail('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256');
    }
    if (!isS256Challenge(challenge)) return fail('invalid_request', 'code_challenge must be 43 base64url characters (an S256 digest)');
    const aud = stripSlash(params.get('aud') ?? '');
    const audiences = fhirBases.map(stripSlash);
    if (!audiences.includes(aud)) return fail('invalid_request', `aud must be this server's FHIR base URL, ${audiences[0]}`);
    const requested = (params.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (requested.length === 0) return fail('invalid_scope', 'scope is missing');

    const launchHandle = params.get('launch');
    let launch: LaunchContext | undefined;
    if (launchHandle !== null) {
      launch = this.launches.get(launchHandle);
      if (!launch) return fail('invalid_request', 'launch is unknown or has expired; launch the app again');
      if (!requested.includes('launch')) return fail('invalid_scope', 'an EHR launch must request the launch scope');
    }

    const user = launch?.user ?? (await this.defaultUser());
    const decision = decideScopes(requested, {
      ehrLaunch: launch !== undefined,
      hasEncounter: launch?.encounter !== undefined,
      hasUser: user !== undefined,
      isResourceType: isFhirResourceType,
    });
    if (decision.granted.length === 0) {
      return fail('invalid_scope', `no requested scope can be granted: ${decision.refused.map((r) => `${r.scope} (${r.reason})`).join('; ')}`);
    }

    let patient = launch?.patient;
    if (!launch && decision.needsPatient) {
      const picked = params.get(PICKED_PATIENT_PARAM);
      if (!picked) {
        return {
          kind: 'pick-patient',
          patients: await this.patientRows(),
          choose: (id) => {
            const next = new URLSearchParams(params);
            next.set(PICKED_PATIENT_PARAM, id);
            return `${smartEndpoints(audiences[0] ?? aud).authorize}?${next.toString()}`;
          },
        };
      }
      if (!(await this.read('Patient', picked))) return fail('invalid_request', `the server holds no Patient/${picked}`);
      patient = picked;
    }

    const grant: CodeGrant = {
      clientId,
      // As sent: the token request must repeat it exactly (RFC 6749 §4.1.3).
      redirectUri: params.get('redirect_uri') ?? '',
      codeChallenge: challenge,
      scopes: decision.granted,
      fhirBase: aud,
      needPatientBanner: launch?.needPatientBanner ?? true,
      ...(patient !== undefined && { patient }),
      ...(launch?.encounter !== undefined && { encounter: launch.encounter }),
      ...(launch?.appContext !== undefined && { appContext: launch.appContext }),
      ...(user !== undefined && decision.granted.includes('openid') && { user }),
    };
    const nonce = params.get('nonce');
    if (nonce) grant.nonce = nonce;
    const { handle } = this.codes.add(grant, this.codeLifetimeMs);
    return back({ code: handle });
  }

  /** `POST /auth/token`: the authorization_code grant with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.5). */
  async token(form: URLSearchParams, authorization: string | undefined): Promise<JsonOutcome> {
    const grantType = form.get('grant_type');
    if (!grantType) return oauthError(400, 'invalid_request', 'grant_type is missing');
    if (grantType !== 'authorization_code') return oauthError(400, 'unsupported_grant_type', 'only authorization_code is supported');
    const code = form.get('code');
    if (!code) return oauthError(400, 'invalid_request', 'code is missing');

    const grant = this.codes.take(code);
    if (!grant) {
      const issued = this.redeemed.take(code);
      if (issued !== undefined) this.tokens.take(issued);
      return oauthError(400, 'invalid_grant', issued === undefined ? 'code is unknown or has expired' : 'code was already used; the token issued for it is revoked');
    }
    const clientId = form.get('client_id') ?? basicClientId(authorization);
    if (!clientId) return oauthError(400, 'invalid_request', 'client_id is missing');
    if (clientId !== grant.clientId) return oauthError(400, 'invalid_grant', 'code was issued to another client');
    if (form.get('redirect_uri') !== grant.redirectUri) return oauthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
    const verifier = form.get('code_verifier');
    if (!verifier) return oauthError(400, 'invalid_request', 'code_verifier is missing (PKCE is required)');
    if (!isCodeVerifier(verifier)) return oauthError(400, 'invalid_request', 'code_verifier must be 43 to 128 unreserved characters');
    if (!verifierMatches(verifier, grant.codeChallenge)) return oauthError(400, 'invalid_grant', 'code_verifier does not match the code_challenge');

    const issuedAt = Math.floor(this.now() / 1000);
    const access: AccessGrant = {
      clientId: grant.clientId,
      scopes: grant.scopes,
      resourceScopes: grant.scopes.flatMap((s) => parseResourceScope(s) ?? []),
      fhirBase: grant.fhirBase,
      issuedAt,
      expiresAt: issuedAt + Math.ceil(this.accessLifetimeMs / 1000),
      ...(grant.patient !== undefined && { patient: grant.patient }),
      ...(grant.encounter !== undefined && { encounter: grant.encounter }),
      ...(grant.user !== undefined && { user: grant.user }),
    };
    const { handle } = this.tokens.add(access, this.accessLifetimeMs);
    this.redeemed.set(code, handle, this.accessLifetimeMs);

    const body: Record<string, unknown> = {
      access_token: handle,
      token_type: 'Bearer',
      expires_in: Math.ceil(this.accessLifetimeMs / 1000),
      scope: grant.scopes.join(' '),
    };
    if (grant.patient !== undefined) {
      body.patient = grant.patient;
      // No EHR frame surrounds the app in dev unless the launcher said otherwise.
      body.need_patient_banner = grant.needPatientBanner;
    }
    if (grant.encounter !== undefined) body.encounter = grant.encounter;
    // CDS Hooks 2.0 ("Link"): the EHR passes the card's appContext to the app beside the token.
    if (grant.appContext !== undefined) body.appContext = grant.appContext;
    if (grant.user !== undefined && grant.scopes.includes('openid')) body.id_token = await this.idToken(grant, grant.user);
    return { status: 200, body };
  }

  private idToken(grant: CodeGrant, user: string): Promise<string> {
    const fhirUser = `${grant.fhirBase}/${user}`;
    return this.signingKey.sign(
      {
        iss: grant.fhirBase,
        sub: user,
        aud: grant.clientId,
        ...(grant.scopes.includes('fhirUser') && { fhirUser }),
        // SMART 1.0's name for the same claim, for apps that ask for `profile`.
        ...(grant.scopes.includes('profile') && { profile: fhirUser }),
        ...(grant.nonce !== undefined && { nonce: grant.nonce }),
      },
      this.accessLifetimeMs / 1000,
    );
  }

  /** The live grant of a bearer access token (`Authorization: Bearer …`), if any. */
  accessFor(authorization: string | undefined): AccessGrant | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return match?.[1] ? this.tokens.get(match[1]) : undefined;
  }

  /**
   * `POST /auth/introspect` (RFC 7662, SMART App Launch 2.0 "Token Introspection"). No client
   * authentication in dev: an Authorization header (Basic or Bearer, as a resource server would
   * send) is accepted and not checked, since the server registers no clients to check it against.
   */
  introspect(form: URLSearchParams): JsonOutcome {
    const token = form.get('token');
    if (!token) return oauthError(400, 'invalid_request', 'token is missing');
    const grant = this.tokens.get(token);
    if (!grant) return { status: 200, body: { active: false } };
    const body: Record<string, unknown> = {
      active: true,
      scope: grant.scopes.join(' '),
      client_id: grant.clientId,
      token_type: 'Bearer',
      exp: grant.expiresAt,
      iat: grant.issuedAt,
      iss: grant.fhirBase,
      aud: grant.fhirBase,
    };
    if (grant.user !== undefined && grant.scopes.includes('openid')) body.sub = grant.user;
    if (grant.user !== undefined && grant.scopes.includes('fhirUser')) body.fhirUser = `${grant.fhirBase}/${grant.user}`;
    if (grant.patient !== undefined) body.patient = grant.patient;
    if (grant.encounter !== undefined) body.encounter = grant.encounter;
    return { status: 200, body };
  }
}
