import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  CfnManagedLoginBranding,
  FeaturePlan,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  UserPoolDomain,
  UserPoolGroup,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES, type Role } from '../../shared/roles.js';
import type { LambdaFunction } from './lambda-function.js';

export interface AuthProps {
  readonly tenant: string;
  /** Managed login domain prefix; unique per region across all AWS accounts. */
  readonly domainPrefix: string;
  /** Where Cognito may send the authorization code: the SPA URL(s), localhost for development, extras from context. */
  readonly callbackUrls: string[];
  /** Where Cognito may send the browser after sign-out. @default callbackUrls */
  readonly logoutUrls?: string[];
  /**
   * Multi-factor authentication. Tenant staff see every contact's personal data,
   * so a one-time password (TOTP app) is required at sign-in.
   * @default Mfa.REQUIRED
   */
  readonly mfa?: Mfa;
  /**
   * Keep the user pool (the tenant's staff accounts) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const GROUP_DESCRIPTIONS: Record<Role, string> = {
  admin: 'Administers the tenant: everything operators do, plus deletions, API keys and custom fields',
  operator: 'Works the contact base: edits, imports, exports, merges, analytics',
  agent: 'Reads contacts, lists, tags and jobs',
};

/** `https://<prefix>.auth.<region>.amazoncognito.com`, known before the domain resource exists. */
export function loginDomainUrl(scope: Construct, domainPrefix: string): string {
  return `https://${domainPrefix}.auth.${Stack.of(scope).region}.amazoncognito.com`;
}

/**
 * Staff sign-in for one tenant: a Cognito user pool where only admins create
 * users, one group per role, a public app client for the SPA (authorization
 * code with PKCE, no secret) and the managed login pages.
 */
export class Auth extends Construct {
  public readonly userPool: UserPool;
  public readonly client: UserPoolClient;
  public readonly domain: UserPoolDomain;
  public readonly groups: Record<Role, UserPoolGroup>;
  /** Base URL of the managed login pages (authorize, token, logout endpoints). */
  public readonly loginUrl: string;
  /** JWT issuer for the API's authorizer. */
  public readonly issuerUrl: string;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      userPoolName: `contacts-${props.tenant}`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 5,
      },
      mfa: props.mfa ?? Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Plus tier: threat protection (compromised credentials, adaptive
      // authentication) enforced, which cdk-nag AwsSolutions-COG8 asks for.
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.groups = Object.fromEntries(
      ROLES.map((role) => [
        role,
        new UserPoolGroup(this, `Group-${role}`, {
          userPool: this.userPool,
          groupName: role,
          description: GROUP_DESCRIPTIONS[role],
        }),
      ]),
    ) as Record<Role, UserPoolGroup>;

    this.client = this.userPool.addClient('SpaClient', {
      userPoolClientName: `contacts-${props.tenant}-spa`,
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls,
        logoutUrls: props.logoutUrls ?? props.callbackUrls,
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      // Users may change no attribute of their own but the required email (Cognito wants
      // required attributes writable): a name they could edit would be theirs to forge in
      // merge history. Admins set names (admin-update-user-attributes); the API reads them
      // from the pool, never from a token claim (functions/lib/user-directory.ts).
      writeAttributes: new ClientAttributes().withStandardAttributes({ email: true }),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    // Managed login (v2) shows an error page to clients without a branding style;
    // this one takes Cognito's default look.
    const branding = new CfnManagedLoginBranding(this, 'LoginBranding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    branding.node.addDependency(this.domain);

    this.loginUrl = loginDomainUrl(this, props.domainPrefix);
    const stack = Stack.of(this);
    this.issuerUrl = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;
  }

  /**
   * Sets USER_POOL_ID and allows cognito-idp:ListUsers on this pool: what
   * shows who did something (merge history) reads staff names here, where
   * only admins can change them.
   */
  public bindDirectoryReader(fn: LambdaFunction): void {
    fn.addEnvironment('USER_POOL_ID', this.userPool.userPoolId);
    this.userPool.grant(fn, 'cognito-idp:ListUsers');
  }
}
