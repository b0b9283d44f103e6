/**
 * The closed relay model: every Postfix 3.7 main.cf parameter that can authorise relaying, widen whom the
 * server trusts, or enable AUTH, and what the library does with it. Derived from postconf(5) of Postfix 3.7
 * (each parameter whose description involves relay access, trusted clients, SASL, XCLIENT/XFORWARD, the PROXY
 * protocol or `permit_*` restrictions) and checked against `postconf -d` by test/lib/relay-parameters.test.ts.
 *
 * A parameter of this model is either rendered from a typed prop (MANAGED_PARAMETERS in validate-server.ts),
 * refused in `additionalParameters` (RELAY_REFUSED: why, and the prop to use), or listed in RELAY_HARMLESS
 * with the reason it grants nothing to an SMTP client. master.cf is rendered by the library alone: no prop
 * adds `-o` overrides, so the same parameters cannot reach master.cf either. Parameters of the outbound
 * clients (`smtp_*`, `lmtp_*`, `tlsproxy_client_*`) authenticate this server elsewhere and are outside it.
 */

const RELAY_PROPS =
  'relaying is granted only by typed props: PostfixServer trustedNetworks, ClientCertPolicy relayClients / permitAllClientCertificates / accessRules, or a SubmissionPort with saslAuthentication';
const AUTH_PROPS = 'SASL AUTH is enabled only on a SubmissionPort (saslAuthentication) with PostfixServer sasl, never on port 25';

/** Refused in additionalParameters, one per line: the reason and the prop to use instead. */
export const RELAY_REFUSED: Readonly<Record<string, string>> = {
  allow_percent_hack: `changes which recipient addresses the relay check treats as local; ${RELAY_PROPS}`,
  allow_untrusted_routing: `"yes" lets senders route mail through this server with user@other@domain forms (an open relay); ${RELAY_PROPS}`,
  broken_sasl_auth_clients: `announces AUTH to more clients; ${AUTH_PROPS}`,
  cyrus_sasl_config_path: `changes where smtpd reads its SASL configuration; set PostfixServer sasl`,
  import_environment: 'passes environment variables into every Postfix daemon (MAIL_CONFIG, TZ, LD_*), which can change the configuration Postfix reads: leave it at the default',
  local_header_rewrite_clients: `a trust list (permit_mynetworks, permit_sasl_authenticated, static:all) of clients whose headers are treated as local; ${RELAY_PROPS}`,
  mynetworks_style: 'decides the trusted networks when mynetworks is not set (the container\'s own subnet with "subnet"): set PostfixServer trustedNetworks',
  parent_domain_matches_subdomains: `widens mynetworks, relay_domains and permit_mx_backup_networks to subdomains; ${RELAY_PROPS}`,
  permit_mx_backup_networks: `permit_mx_backup relays for any domain whose MX is in these networks; ${RELAY_PROPS}`,
  postscreen_access_list: `a trust list (permit_mynetworks, cidr: tables) of postscreen, which the library does not run; ${RELAY_PROPS}`,
  postscreen_upstream_proxy_protocol: 'makes postscreen take client addresses from a PROXY header that any client can send; the library does not run postscreen, and trusted clients are set by PostfixServer trustedNetworks',
  postscreen_upstream_proxy_timeout: 'only used with postscreen_upstream_proxy_protocol, which is refused',
  qmqpd_authorized_clients: `clients allowed to inject mail through QMQP, which the library does not run; ${RELAY_PROPS}`,
  relay_domains: `makes this server relay mail for the listed domains (static:ALL makes it an open relay); deliver your own domains with PostfixServer localDomains; ${RELAY_PROPS}`,
  resolve_dequoted_address: `"no" changes how the relay check reads quoted addresses ("user@domain"@host); ${RELAY_PROPS}`,
  resolve_null_domain: `changes how the relay check resolves addresses with an empty domain; ${RELAY_PROPS}`,
  resolve_numeric_domain: `changes how the relay check resolves user@ipaddress; ${RELAY_PROPS}`,
  smtpd_authorized_verp_clients: `lets the listed clients request VERP delivery (a trust list); ${RELAY_PROPS}`,
  smtpd_authorized_xclient_hosts: `lets the listed clients claim any client address, name or SASL login with XCLIENT (0.0.0.0/0 makes every client trusted); ${RELAY_PROPS}`,
  smtpd_authorized_xforward_hosts: `lets the listed clients rewrite the client attributes that later filters trust with XFORWARD; ${RELAY_PROPS}`,
  smtpd_client_event_limit_exceptions: `exempts the listed clients from connection and rate limits; set PostfixServer clientConnectionLimit`,
  smtpd_client_restrictions: `a restriction list: permit_* or OK entries (static:, cidr:, pcre:, tcp: tables) can accept any client; ${RELAY_PROPS}`,
  smtpd_data_restrictions: `a restriction list: permit_* entries can accept mail that later checks would refuse; ${RELAY_PROPS}`,
  smtpd_end_of_data_restrictions: `a restriction list: permit_* entries can accept mail that later checks would refuse; ${RELAY_PROPS}`,
  smtpd_etrn_restrictions: `a restriction list: permit_* entries let any client trigger queue runs; ${RELAY_PROPS}`,
  smtpd_forbid_bare_newline_exclusions: `exempts the listed clients from the bare-newline (SMTP smuggling) check; ${RELAY_PROPS}`,
  smtpd_helo_restrictions: `a restriction list: permit_* or OK entries (static:, cidr:, pcre:, tcp: tables) can accept any client; ${RELAY_PROPS}`,
  smtpd_recipient_restrictions: `a restriction list evaluated with the relay check: permit or OK entries (static:, cidr:, pcre:, tcp: tables) relay for anyone; ${RELAY_PROPS}`,
  smtpd_relay_before_recipient_restrictions: `changes the order of the relay restrictions the library renders; ${RELAY_PROPS}`,
  smtpd_restriction_classes: `defines named restriction lists, which can hold permit_* entries; ${RELAY_PROPS}`,
  smtpd_sasl_auth_enable: `"yes" in main.cf offers AUTH on port 25 too, also before STARTTLS; ${AUTH_PROPS}`,
  smtpd_sasl_authenticated_header: `records SASL logins in headers; ${AUTH_PROPS}`,
  smtpd_sasl_exceptions_networks: `changes which clients are offered AUTH; ${AUTH_PROPS}`,
  smtpd_sasl_local_domain: `changes the realm SASL logins are checked in; ${AUTH_PROPS}`,
  smtpd_sasl_mechanism_filter: `changes which AUTH mechanisms (e.g. ANONYMOUS, EXTERNAL) clients may use; ${AUTH_PROPS}`,
  smtpd_sasl_response_limit: `changes AUTH parsing limits; ${AUTH_PROPS}`,
  smtpd_sasl_security_options: `"noanonymous" keeps anonymous AUTH from counting as authenticated (permit_sasl_authenticated); ${AUTH_PROPS}`,
  smtpd_sasl_service: `changes the service name SASL authenticates against; ${AUTH_PROPS}`,
  smtpd_sasl_tls_security_options: `"noanonymous" keeps anonymous AUTH over TLS from counting as authenticated; ${AUTH_PROPS}`,
  smtpd_sender_restrictions: `a restriction list: permit_* or OK entries (static:, cidr:, pcre:, tcp: tables) can accept any sender; ${RELAY_PROPS}`,
  smtpd_tls_auth_only: `"no" offers AUTH before STARTTLS, so passwords cross the network in clear; ${AUTH_PROPS}`,
  smtpd_upstream_proxy_protocol: 'makes smtpd take the client address from a PROXY header, which any client that reaches the port can forge (permit_mynetworks then trusts strangers): set PostfixServer trustedNetworks and run the container with hostNetwork',
  smtpd_upstream_proxy_timeout: 'only used with smtpd_upstream_proxy_protocol, which is refused',
  swap_bangpath: `changes how the relay check reads UUCP-style addresses (site!user); ${RELAY_PROPS}`,
  virtual_alias_domains: `makes this server accept mail for the listed domains and forward it (static:ALL accepts every domain); deliver your own domains with PostfixServer localDomains`,
  virtual_mailbox_domains: `makes this server accept mail for the listed domains (static:ALL accepts every domain); deliver your own domains with PostfixServer localDomains`,
};

/** Parameters the model's patterns match that grant nothing to an SMTP client, with the reason. */
export const RELAY_HARMLESS: Readonly<Record<string, string>> = {
  authorized_flush_users: 'local users of the container allowed to run postqueue -f',
  authorized_mailq_users: 'local users of the container allowed to list the queue',
  authorized_submit_users: 'local users of the container allowed to run sendmail (not SMTP clients)',
  export_environment: 'environment passed to external commands (pipe, local), not read by smtpd',
  fast_flush_domains: 'domains whose deferred mail ETRN may flush; delivers nothing new',
  maps_rbl_domains: 'obsolete DNS blocklists of reject_maps_rbl: it can only reject',
  masquerade_domains: 'address rewriting of outgoing headers',
  masquerade_exceptions: 'address rewriting of outgoing headers',
  relay_delivery_slot_cost: 'queue scheduling of the relay transport',
  relay_delivery_slot_discount: 'queue scheduling of the relay transport',
  relay_delivery_slot_loan: 'queue scheduling of the relay transport',
  relay_destination_concurrency_failed_cohort_limit: 'queue scheduling of the relay transport',
  relay_destination_concurrency_limit: 'queue scheduling of the relay transport',
  relay_destination_concurrency_negative_feedback: 'queue scheduling of the relay transport',
  relay_destination_concurrency_positive_feedback: 'queue scheduling of the relay transport',
  relay_destination_rate_delay: 'queue scheduling of the relay transport',
  relay_destination_recipient_limit: 'queue scheduling of the relay transport',
  relay_domains_reject_code: 'the code of a refusal',
  relay_extra_recipient_limit: 'queue scheduling of the relay transport',
  relay_initial_destination_concurrency: 'queue scheduling of the relay transport',
  relay_minimum_delivery_slots: 'queue scheduling of the relay transport',
  relay_recipient_limit: 'queue scheduling of the relay transport',
  relay_recipient_maps: 'recipients valid in relay_domains (which is refused): it can only reject',
  relay_recipient_refill_delay: 'queue scheduling of the relay transport',
  relay_recipient_refill_limit: 'queue scheduling of the relay transport',
  relay_transport: 'delivery method for relay_domains (which is refused)',
  relay_transport_rate_delay: 'queue scheduling of the relay transport',
  send_cyrus_sasl_authzid: 'the outbound client\'s SASL authorisation id',
  smtpd_log_access_permit_actions: 'logging of permit actions',
  tlsproxy_tls_ask_ccert: 'tlsproxy serves only postscreen, which the library does not run',
  tlsproxy_tls_ccert_verifydepth: 'tlsproxy serves only postscreen, which the library does not run',
  tlsproxy_tls_req_ccert: 'tlsproxy serves only postscreen, which the library does not run',
};
