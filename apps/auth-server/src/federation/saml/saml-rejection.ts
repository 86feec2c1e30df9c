/**
 * Why a SAML sign-in was refused. The reason goes to the audit log and the server log; the person sees
 * only the page text of its group (never the library's message, which can quote the assertion).
 */
export type SamlRejectionReason =
  | 'provider_unknown'
  | 'malformed_response'
  | 'idp_error_status'
  | 'unsigned_or_bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_recipient'
  | 'wrong_destination'
  | 'expired_or_not_yet_valid'
  | 'in_response_to_mismatch'
  | 'unknown_relay_state'
  | 'unsolicited_response'
  | 'replayed_assertion'
  | 'missing_subject'
  | 'wrong_nameid_format'
  | 'browser_mismatch'
  | 'interaction_expired'
  | 'email_in_use'
  | 'user_disabled'
  | 'provider_disabled';

export class SamlRejection extends Error {
  constructor(
    readonly reason: SamlRejectionReason,
    /** For the log only. */
    readonly detail?: string,
    /** FEDERATED_SIGN_IN refused it and has recorded the audit event itself. */
    readonly audited = false,
  ) {
    super(`SAML sign-in refused: ${reason}`);
  }
}

export interface RejectionPage {
  status: number;
  title: string;
  message: string;
}

const START_AGAIN = 'Go back to the application and start again.';

export function rejectionPage(reason: SamlRejectionReason): RejectionPage {
  switch (reason) {
    case 'provider_unknown':
      return { status: 404, title: 'Unknown sign-in provider', message: 'This organization has no such SAML sign-in provider.' };
    case 'provider_disabled':
      return { status: 403, title: 'Sign-in provider switched off', message: 'Your administrator has switched this sign-in provider off.' };
    case 'email_in_use':
      return {
        status: 403,
        title: 'An account with this email already exists',
        message: 'It was not linked to your organization sign-in automatically. Sign in with your password, or ask your administrator to link the accounts.',
      };
    case 'user_disabled':
      return { status: 403, title: 'Account disabled', message: 'Your account is disabled. Ask your administrator.' };
    case 'unknown_relay_state':
    case 'interaction_expired':
    case 'browser_mismatch':
      return { status: 400, title: 'This sign-in request has expired', message: `It was already used, took too long, or was started in another browser. ${START_AGAIN}` };
    case 'unsolicited_response':
      return { status: 400, title: 'Sign-in must start here', message: `This organization does not accept sign-ins started at the identity provider. ${START_AGAIN}` };
    case 'idp_error_status':
      return { status: 400, title: 'The identity provider did not sign you in', message: START_AGAIN };
    default:
      return { status: 400, title: 'The sign-in response was refused', message: `The identity provider's answer did not pass Airlock's checks. ${START_AGAIN}` };
  }
}
