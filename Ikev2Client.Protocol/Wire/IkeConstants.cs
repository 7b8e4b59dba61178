namespace Ikev2Client.Protocol.Wire;

/// <summary>IKEv2 payload types (IANA "IKEv2 Payload Types"; RFC 7296 §3.2, RFC 7383).</summary>
public enum PayloadType : byte
{
    /// <summary>No Next Payload (0).</summary>
    None = 0,
    /// <summary>SA: Security Association (RFC 7296 §3.3).</summary>
    SecurityAssociation = 33,
    /// <summary>KE: Key Exchange (RFC 7296 §3.4).</summary>
    KeyExchange = 34,
    /// <summary>IDi: Identification - Initiator (RFC 7296 §3.5).</summary>
    IdInitiator = 35,
    /// <summary>IDr: Identification - Responder (RFC 7296 §3.5).</summary>
    IdResponder = 36,
    /// <summary>CERT: Certificate (RFC 7296 §3.6).</summary>
    Certificate = 37,
    /// <summary>CERTREQ: Certificate Request (RFC 7296 §3.7).</summary>
    CertificateRequest = 38,
    /// <summary>AUTH: Authentication (RFC 7296 §3.8).</summary>
    Authentication = 39,
    /// <summary>Ni, Nr: Nonce (RFC 7296 §3.9).</summary>
    Nonce = 40,
    /// <summary>N: Notify (RFC 7296 §3.10).</summary>
    Notify = 41,
    /// <summary>D: Delete (RFC 7296 §3.11).</summary>
    Delete = 42,
    /// <summary>V: Vendor ID (RFC 7296 §3.12).</summary>
    VendorId = 43,
    /// <summary>TSi: Traffic Selector - Initiator (RFC 7296 §3.13).</summary>
    TrafficSelectorInitiator = 44,
    /// <summary>TSr: Traffic Selector - Responder (RFC 7296 §3.13).</summary>
    TrafficSelectorResponder = 45,
    /// <summary>SK: Encrypted and Authenticated (RFC 7296 §3.14).</summary>
    Encrypted = 46,
    /// <summary>CP: Configuration (RFC 7296 §3.15).</summary>
    Configuration = 47,
    /// <summary>EAP: Extensible Authentication (RFC 7296 §3.16).</summary>
    Eap = 48,
    /// <summary>SKF: Encrypted and Authenticated Fragment (RFC 7383).</summary>
    EncryptedFragment = 53,
}

/// <summary>IKEv2 exchange types (RFC 7296 §3.1).</summary>
public enum ExchangeType : byte
{
    /// <summary>IKE_SA_INIT (RFC 7296 §1.2).</summary>
    IkeSaInit = 34,
    /// <summary>IKE_AUTH (RFC 7296 §1.2).</summary>
    IkeAuth = 35,
    /// <summary>CREATE_CHILD_SA (RFC 7296 §1.3).</summary>
    CreateChildSa = 36,
    /// <summary>INFORMATIONAL (RFC 7296 §1.4).</summary>
    Informational = 37,
    /// <summary>IKE_INTERMEDIATE (RFC 9242): between IKE_SA_INIT and IKE_AUTH, here one per additional key exchange (RFC 9370).</summary>
    IkeIntermediate = 43,
    /// <summary>IKE_FOLLOWUP_KE (RFC 9370 §2.2.4): an additional key exchange of a CREATE_CHILD_SA.</summary>
    IkeFollowupKe = 44,
}

/// <summary>Flags in the IKE header (RFC 7296 §3.1).</summary>
[Flags]
public enum IkeHeaderFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>I: sent by the original initiator of the IKE SA.</summary>
    Initiator = 0x08,
    /// <summary>V: the sender could speak a higher major version (never set by IKEv2 implementations).</summary>
    Version = 0x10,
    /// <summary>R: the message is a response.</summary>
    Response = 0x20,
}

/// <summary>Security protocol identifiers (RFC 7296 §3.3.1).</summary>
public enum ProtocolId : byte
{
    /// <summary>No protocol (notifications about no SA).</summary>
    None = 0,
    /// <summary>IKE.</summary>
    Ike = 1,
    /// <summary>AH (not supported by this library's data plane).</summary>
    Ah = 2,
    /// <summary>ESP.</summary>
    Esp = 3,
}

/// <summary>Transform types (RFC 7296 §3.3.2).</summary>
public enum TransformType : byte
{
    /// <summary>Encryption Algorithm (ENCR).</summary>
    Encryption = 1,
    /// <summary>Pseudo-Random Function (PRF).</summary>
    Prf = 2,
    /// <summary>Integrity Algorithm (INTEG).</summary>
    Integrity = 3,
    /// <summary>Key Exchange Method (KE, formerly Diffie-Hellman group).</summary>
    KeyExchange = 4,
    /// <summary>Extended Sequence Numbers (ESN).</summary>
    ExtendedSequenceNumbers = 5,
    /// <summary>Additional Key Exchange 1 (ADDKE1, RFC 9370).</summary>
    AdditionalKeyExchange1 = 6,
    /// <summary>Additional Key Exchange 2 (ADDKE2, RFC 9370).</summary>
    AdditionalKeyExchange2 = 7,
    /// <summary>Additional Key Exchange 3 (ADDKE3, RFC 9370).</summary>
    AdditionalKeyExchange3 = 8,
    /// <summary>Additional Key Exchange 4 (ADDKE4, RFC 9370).</summary>
    AdditionalKeyExchange4 = 9,
    /// <summary>Additional Key Exchange 5 (ADDKE5, RFC 9370).</summary>
    AdditionalKeyExchange5 = 10,
    /// <summary>Additional Key Exchange 6 (ADDKE6, RFC 9370).</summary>
    AdditionalKeyExchange6 = 11,
    /// <summary>Additional Key Exchange 7 (ADDKE7, RFC 9370).</summary>
    AdditionalKeyExchange7 = 12,
}

/// <summary>Transform attribute types (RFC 7296 §3.3.5).</summary>
public enum TransformAttributeType : ushort
{
    /// <summary>Key Length in bits (the only attribute RFC 7296 defines).</summary>
    KeyLength = 14,
}

/// <summary>Identification types (RFC 7296 §3.5).</summary>
public enum IdType : byte
{
    /// <summary>ID_IPV4_ADDR: a four-octet IPv4 address.</summary>
    Ipv4Addr = 1,
    /// <summary>ID_FQDN: a fully-qualified domain name.</summary>
    Fqdn = 2,
    /// <summary>ID_RFC822_ADDR: an e-mail address.</summary>
    Rfc822Addr = 3,
    /// <summary>ID_IPV6_ADDR: a sixteen-octet IPv6 address.</summary>
    Ipv6Addr = 5,
    /// <summary>ID_DER_ASN1_DN: a DER-encoded X.500 distinguished name.</summary>
    DerAsn1Dn = 9,
    /// <summary>ID_DER_ASN1_GN: a DER-encoded X.509 general name.</summary>
    DerAsn1Gn = 10,
    /// <summary>ID_KEY_ID: opaque octets for vendor-specific use.</summary>
    KeyId = 11,
}

/// <summary>Certificate encodings (RFC 7296 §3.6).</summary>
public enum CertEncoding : byte
{
    /// <summary>PKCS #7 wrapped X.509 certificate (obsolete).</summary>
    Pkcs7WrappedX509 = 1,
    /// <summary>PGP certificate (obsolete).</summary>
    Pgp = 2,
    /// <summary>DNS signed key (obsolete).</summary>
    DnsSignedKey = 3,
    /// <summary>X.509 certificate - signature (DER).</summary>
    X509Signature = 4,
    /// <summary>Kerberos token (obsolete).</summary>
    KerberosToken = 6,
    /// <summary>Certificate revocation list (CRL).</summary>
    Crl = 7,
    /// <summary>Authority revocation list (obsolete).</summary>
    Arl = 8,
    /// <summary>SPKI certificate (obsolete).</summary>
    SpkiCertificate = 9,
    /// <summary>X.509 certificate - attribute (obsolete).</summary>
    X509Attribute = 10,
    /// <summary>Raw RSA key (deprecated by RFC 7670).</summary>
    RawRsaKey = 11,
    /// <summary>Hash and URL of an X.509 certificate.</summary>
    HashAndUrlX509 = 12,
    /// <summary>Hash and URL of an X.509 bundle.</summary>
    HashAndUrlX509Bundle = 13,
}

/// <summary>The IKEv2 Authentication Method of an AUTH payload (RFC 7296 §3.8, RFC 4754, RFC 7427; IANA "IKEv2 Authentication Method").</summary>
public enum IkeAuthMethod : byte
{
    /// <summary>RSA Digital Signature: PKCS #1 v1.5 with SHA-1 (RFC 7296).</summary>
    RsaDigitalSignature = 1,
    /// <summary>Shared Key Message Integrity Code: a pre-shared key (RFC 7296).</summary>
    SharedKeyMessageIntegrityCode = 2,
    /// <summary>DSS Digital Signature (RFC 7296; not supported).</summary>
    DssDigitalSignature = 3,
    /// <summary>ECDSA with SHA-256 on the P-256 curve (RFC 4754).</summary>
    EcdsaSha256P256 = 9,
    /// <summary>ECDSA with SHA-384 on the P-384 curve (RFC 4754).</summary>
    EcdsaSha384P384 = 10,
    /// <summary>ECDSA with SHA-512 on the P-521 curve (RFC 4754).</summary>
    EcdsaSha512P521 = 11,
    /// <summary>Digital Signature: the scheme named by an AlgorithmIdentifier in the AUTH data (RFC 7427).</summary>
    DigitalSignature = 14,
}

/// <summary>Traffic selector types (RFC 7296 §3.13.1).</summary>
public enum TrafficSelectorType : byte
{
    /// <summary>TS_IPV4_ADDR_RANGE.</summary>
    Ipv4AddrRange = 7,
    /// <summary>TS_IPV6_ADDR_RANGE.</summary>
    Ipv6AddrRange = 8,
}

/// <summary>Configuration payload types (RFC 7296 §3.15).</summary>
public enum ConfigType : byte
{
    /// <summary>CFG_REQUEST.</summary>
    Request = 1,
    /// <summary>CFG_REPLY.</summary>
    Reply = 2,
    /// <summary>CFG_SET.</summary>
    Set = 3,
    /// <summary>CFG_ACK.</summary>
    Ack = 4,
}

/// <summary>Configuration attribute types (RFC 7296 §3.15.1 and IANA).</summary>
public enum ConfigAttributeType : ushort
{
    /// <summary>INTERNAL_IP4_ADDRESS (RFC 7296).</summary>
    InternalIp4Address = 1,
    /// <summary>INTERNAL_IP4_NETMASK (RFC 7296).</summary>
    InternalIp4Netmask = 2,
    /// <summary>INTERNAL_IP4_DNS (RFC 7296).</summary>
    InternalIp4Dns = 3,
    /// <summary>INTERNAL_IP4_NBNS (RFC 7296).</summary>
    InternalIp4Nbns = 4,
    /// <summary>INTERNAL_IP4_DHCP (RFC 7296).</summary>
    InternalIp4Dhcp = 6,
    /// <summary>APPLICATION_VERSION (RFC 7296).</summary>
    ApplicationVersion = 7,
    /// <summary>INTERNAL_IP6_ADDRESS (RFC 7296).</summary>
    InternalIp6Address = 8,
    /// <summary>INTERNAL_IP6_DNS (RFC 7296).</summary>
    InternalIp6Dns = 10,
    /// <summary>INTERNAL_IP6_DHCP (RFC 7296).</summary>
    InternalIp6Dhcp = 12,
    /// <summary>INTERNAL_IP4_SUBNET (RFC 7296).</summary>
    InternalIp4Subnet = 13,
    /// <summary>SUPPORTED_ATTRIBUTES (RFC 7296).</summary>
    SupportedAttributes = 14,
    /// <summary>INTERNAL_IP6_SUBNET (RFC 7296).</summary>
    InternalIp6Subnet = 15,
    /// <summary>MIP6_HOME_PREFIX (RFC 5026).</summary>
    Mip6HomePrefix = 16,
    /// <summary>INTERNAL_IP6_LINK (RFC 5739).</summary>
    InternalIp6Link = 17,
    /// <summary>INTERNAL_IP6_PREFIX (RFC 5739).</summary>
    InternalIp6Prefix = 18,
    /// <summary>HOME_AGENT_ADDRESS (IANA registry).</summary>
    HomeAgentAddress = 19,
    /// <summary>P_CSCF_IP4_ADDRESS (RFC 7651).</summary>
    P_CscfIp4Address = 20,
    /// <summary>P_CSCF_IP6_ADDRESS (RFC 7651).</summary>
    P_CscfIp6Address = 21,
    /// <summary>INTERNAL_DNS_DOMAIN (RFC 8598).</summary>
    InternalDnsDomain = 25,
}

/// <summary>Notify message types (RFC 7296 §3.10.1 and the IANA registry). Values below 16384 are errors.</summary>
public enum NotifyType : ushort
{
    // Errors
    /// <summary>UNSUPPORTED_CRITICAL_PAYLOAD (RFC 7296).</summary>
    UnsupportedCriticalPayload = 1,
    /// <summary>INVALID_IKE_SPI (RFC 7296).</summary>
    InvalidIkeSpi = 4,
    /// <summary>INVALID_MAJOR_VERSION (RFC 7296).</summary>
    InvalidMajorVersion = 5,
    /// <summary>INVALID_SYNTAX (RFC 7296).</summary>
    InvalidSyntax = 7,
    /// <summary>INVALID_MESSAGE_ID (RFC 7296).</summary>
    InvalidMessageId = 9,
    /// <summary>INVALID_SPI (RFC 7296).</summary>
    InvalidSpi = 11,
    /// <summary>NO_PROPOSAL_CHOSEN (RFC 7296).</summary>
    NoProposalChosen = 14,
    /// <summary>INVALID_KE_PAYLOAD (RFC 7296).</summary>
    InvalidKePayload = 17,
    /// <summary>AUTHENTICATION_FAILED (RFC 7296).</summary>
    AuthenticationFailed = 24,
    /// <summary>SINGLE_PAIR_REQUIRED (RFC 7296).</summary>
    SinglePairRequired = 34,
    /// <summary>NO_ADDITIONAL_SAS (RFC 7296).</summary>
    NoAdditionalSas = 35,
    /// <summary>INTERNAL_ADDRESS_FAILURE (RFC 7296).</summary>
    InternalAddressFailure = 36,
    /// <summary>FAILED_CP_REQUIRED (RFC 7296).</summary>
    FailedCpRequired = 37,
    /// <summary>TS_UNACCEPTABLE (RFC 7296).</summary>
    TsUnacceptable = 38,
    /// <summary>INVALID_SELECTORS (RFC 7296).</summary>
    InvalidSelectors = 39,
    /// <summary>UNACCEPTABLE_ADDRESSES (RFC 4555).</summary>
    UnacceptableAddresses = 40,
    /// <summary>UNEXPECTED_NAT_DETECTED (RFC 4555).</summary>
    UnexpectedNatDetected = 41,
    /// <summary>USE_ASSIGNED_HoA (RFC 5026).</summary>
    UseAssignedHoA = 42,
    /// <summary>TEMPORARY_FAILURE (RFC 7296).</summary>
    TemporaryFailure = 43,
    /// <summary>CHILD_SA_NOT_FOUND (RFC 7296).</summary>
    ChildSaNotFound = 44,
    /// <summary>INVALID_GROUP_ID (IANA registry).</summary>
    InvalidGroupId = 45,
    /// <summary>AUTHORIZATION_FAILED (IANA registry).</summary>
    AuthorizationFailed = 46,
    /// <summary>STATE_NOT_FOUND (IANA registry).</summary>
    StateNotFound = 47,

    // Status
    /// <summary>INITIAL_CONTACT (RFC 7296).</summary>
    InitialContact = 16384,
    /// <summary>SET_WINDOW_SIZE (RFC 7296).</summary>
    SetWindowSize = 16385,
    /// <summary>ADDITIONAL_TS_POSSIBLE (RFC 7296).</summary>
    AdditionalTsPossible = 16386,
    /// <summary>IPCOMP_SUPPORTED (RFC 7296).</summary>
    IpcompSupported = 16387,
    /// <summary>NAT_DETECTION_SOURCE_IP (RFC 7296).</summary>
    NatDetectionSourceIp = 16388,
    /// <summary>NAT_DETECTION_DESTINATION_IP (RFC 7296).</summary>
    NatDetectionDestinationIp = 16389,
    /// <summary>COOKIE (RFC 7296).</summary>
    Cookie = 16390,
    /// <summary>USE_TRANSPORT_MODE (RFC 7296).</summary>
    UseTransportMode = 16391,
    /// <summary>HTTP_CERT_LOOKUP_SUPPORTED (RFC 7296).</summary>
    HttpCertLookupSupported = 16392,
    /// <summary>REKEY_SA (RFC 7296).</summary>
    RekeySa = 16393,
    /// <summary>ESP_TFC_PADDING_NOT_SUPPORTED (RFC 7296).</summary>
    EspTfcPaddingNotSupported = 16394,
    /// <summary>NON_FIRST_FRAGMENTS_ALSO (RFC 7296).</summary>
    NonFirstFragmentsAlso = 16395,
    /// <summary>MOBIKE_SUPPORTED (RFC 4555).</summary>
    MobikeSupported = 16396,
    /// <summary>ADDITIONAL_IP4_ADDRESS (RFC 4555).</summary>
    AdditionalIp4Address = 16397,
    /// <summary>ADDITIONAL_IP6_ADDRESS (RFC 4555).</summary>
    AdditionalIp6Address = 16398,
    /// <summary>NO_ADDITIONAL_ADDRESSES (RFC 4555).</summary>
    NoAdditionalAddresses = 16399,
    /// <summary>UPDATE_SA_ADDRESSES (RFC 4555).</summary>
    UpdateSaAddresses = 16400,
    /// <summary>COOKIE2 (RFC 4555).</summary>
    Cookie2 = 16401,
    /// <summary>NO_NATS_ALLOWED (RFC 4555).</summary>
    NoNatsAllowed = 16402,
    /// <summary>AUTH_LIFETIME (RFC 4478).</summary>
    AuthLifetime = 16403,
    /// <summary>MULTIPLE_AUTH_SUPPORTED (RFC 4739).</summary>
    MultipleAuthSupported = 16404,
    /// <summary>ANOTHER_AUTH_FOLLOWS (RFC 4739).</summary>
    AnotherAuthFollows = 16405,
    /// <summary>REDIRECT_SUPPORTED (RFC 5685).</summary>
    RedirectSupported = 16406,
    /// <summary>REDIRECT (RFC 5685).</summary>
    Redirect = 16407,
    /// <summary>REDIRECTED_FROM (RFC 5685).</summary>
    RedirectedFrom = 16408,
    /// <summary>TICKET_LT_OPAQUE (RFC 5723).</summary>
    TicketLtOpaque = 16409,
    /// <summary>TICKET_REQUEST (RFC 5723).</summary>
    TicketRequest = 16410,
    /// <summary>TICKET_ACK (RFC 5723).</summary>
    TicketAck = 16411,
    /// <summary>TICKET_NACK (RFC 5723).</summary>
    TicketNack = 16412,
    /// <summary>TICKET_OPAQUE (RFC 5723).</summary>
    TicketOpaque = 16413,
    /// <summary>LINK_ID (RFC 5739).</summary>
    LinkId = 16414,
    /// <summary>USE_WESP_MODE (RFC 5840).</summary>
    UseWespMode = 16415,
    /// <summary>ROHC_SUPPORTED (RFC 5857).</summary>
    RohcSupported = 16416,
    /// <summary>EAP_ONLY_AUTHENTICATION (RFC 5998).</summary>
    EapOnlyAuthentication = 16417,
    /// <summary>CHILDLESS_IKEV2_SUPPORTED (RFC 6023).</summary>
    ChildlessIkev2Supported = 16418,
    /// <summary>QUICK_CRASH_DETECTION (RFC 6290).</summary>
    QuickCrashDetection = 16419,
    /// <summary>IKEV2_MESSAGE_ID_SYNC_SUPPORTED (RFC 6311).</summary>
    Ikev2MessageIdSyncSupported = 16420,
    /// <summary>IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED (RFC 6311).</summary>
    IpsecReplayCounterSyncSupported = 16421,
    /// <summary>IKEV2_MESSAGE_ID_SYNC (RFC 6311).</summary>
    Ikev2MessageIdSync = 16422,
    /// <summary>IPSEC_REPLAY_COUNTER_SYNC (RFC 6311).</summary>
    IpsecReplayCounterSync = 16423,
    /// <summary>SECURE_PASSWORD_METHODS (RFC 6467).</summary>
    SecurePasswordMethods = 16424,
    /// <summary>PSK_PERSIST (RFC 6631).</summary>
    PskPersist = 16425,
    /// <summary>PSK_CONFIRM (RFC 6631).</summary>
    PskConfirm = 16426,
    /// <summary>ERX_SUPPORTED (RFC 6867).</summary>
    ErxSupported = 16427,
    /// <summary>IFOM_CAPABILITY (IANA registry).</summary>
    IfomCapability = 16428,
    /// <summary>SENDER_REQUEST_ID (IANA registry).</summary>
    SenderRequestId = 16429,
    /// <summary>IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383).</summary>
    Ikev2FragmentationSupported = 16430,
    /// <summary>SIGNATURE_HASH_ALGORITHMS (RFC 7427).</summary>
    SignatureHashAlgorithms = 16431,
    /// <summary>CLONE_IKE_SA_SUPPORTED (RFC 7791).</summary>
    CloneIkeSaSupported = 16432,
    /// <summary>CLONE_IKE_SA (RFC 7791).</summary>
    CloneIkeSa = 16433,
    /// <summary>PUZZLE (RFC 8019).</summary>
    Puzzle = 16434,
    /// <summary>USE_PPK (RFC 8784).</summary>
    UsePpk = 16435,
    /// <summary>PPK_IDENTITY (RFC 8784).</summary>
    PpkIdentity = 16436,
    /// <summary>NO_PPK_AUTH (RFC 8784).</summary>
    NoPpkAuth = 16437,
    /// <summary>INTERMEDIATE_EXCHANGE_SUPPORTED (RFC 9242).</summary>
    IntermediateExchangeSupported = 16438,
    /// <summary>IP4_ALLOWED (RFC 8983).</summary>
    Ip4Allowed = 16439,
    /// <summary>IP6_ALLOWED (RFC 8983).</summary>
    Ip6Allowed = 16440,
    /// <summary>ADDITIONAL_KEY_EXCHANGE (RFC 9370).</summary>
    AdditionalKeyExchange = 16441,
    /// <summary>USE_AGGFRAG (RFC 9347).</summary>
    UseAggfrag = 16442,
}
