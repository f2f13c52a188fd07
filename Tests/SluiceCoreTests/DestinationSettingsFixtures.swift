import SluiceCore
import Testing

/// Catalog options built by hand from `catalog/destinations.yml`, so the settings tests do not depend on the catalog loader.
enum SettingsFixtures {
    /// The workspace every test runs in.
    static let workspaceID = "9aQ1Lj62S4bomZKLF4DPqW"

    /// Amplitude (`54521fd525e721e32a72ee91`), every option of its catalog entry in catalog order.
    static let amplitude: [IntegrationOption] = [
        .option("apiKey", "string", "", required: true),
        .option("appendFieldsToEventProps", "text-map", [:]),
        .option("batchEvents", "boolean", false),
        .option("deviceIdFromUrlParam", "boolean", false),
        .option("enableLocationListening", "boolean", true),
        .option("endpoint", "select", ""),
        .option("eventUploadPeriodMillis", "number", 30000),
        .option("eventUploadThreshold", "number", 30),
        .option("forceHttps", "boolean", false),
        .option("groupTypeTrait", "string", ""),
        .option("groupValueTrait", "string", ""),
        .option("mapQueryParams", "map", [:]),
        .option("preferAnonymousIdForDeviceId", "boolean", false),
        .option("saveParamsReferrerOncePerSession", "boolean", true),
        .option("secretKey", "string", ""),
        .option("sendAlias", "boolean", false),
        .option("sendToBatchEndpoint", "boolean", false),
        .option("trackAllPages", "boolean", false),
        .option("trackAllPagesV2", "boolean", false),
        .option("trackCategorizedPages", "boolean", true),
        .option("trackGclid", "boolean", false),
        .option("trackNamedPages", "boolean", true),
        .option("trackProductsOnce", "boolean", false),
        .option("trackReferrer", "boolean", true),
        .option("trackRevenuePerProduct", "boolean", false),
        .option("trackSessionEvents", "boolean", false),
        .option("trackUtmProperties", "boolean", true),
        .option("traitsToAppend", "array", []),
        .option("traitsToIncrement", "array", []),
        .option("traitsToPrepend", "array", []),
        .option("traitsToSetOnce", "array", []),
        .option("unsetParamsReferrerOnNewSession", "boolean", false),
        .option("useAdvertisingIdForDeviceId", "boolean", false),
        .option("useAmplitudeReferral", "boolean", false),
        .option("useCustomAmplitudeProperties", "boolean", false),
        .option("useLogRevenueV2", "boolean", true),
        .option("versionName", "string", ""),
    ]

    /// The seed's Amplitude create request's `settings`.
    static let amplitudeSeedRequest = """
        {"apiKey": "3cb9b589437d3904f19b2b791c2cdada", "retarget": true}
        """

    /// The seed's Amplitude create response's `settings`, copied from `seed/destinations-api.txt`.
    static let amplitudeSeedResponse = """
        {
          "apiKey": "••••••••••dada",
          "appendFieldsToEventProps": { },
          "batchEvents": false,
          "deviceIdFromUrlParam": false,
          "enableLocationListening": true,
          "endpoint": "",
          "eventUploadPeriodMillis": 30000,
          "eventUploadThreshold": 30,
          "forceHttps": false,
          "groupTypeTrait": "",
          "groupValueTrait": "",
          "mapQueryParams": { },
          "preferAnonymousIdForDeviceId": false,
          "retarget": true,
          "saveParamsReferrerOncePerSession": true,
          "secretKey": "",
          "sendAlias": false,
          "sendToBatchEndpoint": false,
          "trackAllPages": false,
          "trackAllPagesV2": false,
          "trackCategorizedPages": true,
          "trackGclid": false,
          "trackNamedPages": true,
          "trackProductsOnce": false,
          "trackReferrer": true,
          "trackRevenuePerProduct": false,
          "trackSessionEvents": false,
          "trackUtmProperties": true,
          "traitsToAppend": [ ],
          "traitsToIncrement": [ ],
          "traitsToPrepend": [ ],
          "traitsToSetOnce": [ ],
          "unsetParamsReferrerOnNewSession": false,
          "useAdvertisingIdForDeviceId": false,
          "useAmplitudeReferral": false,
          "useCustomAmplitudeProperties": false,
          "useLogRevenueV2": true,
          "versionName": ""
        }
        """

    /// Amazon Kinesis (`57da359580412f644ff33fb9`): `secretId` is read-only and defaults to the workspace id.
    static let kinesis: [IntegrationOption] = [
        .option("region", "string", "us-west-2", required: true),
        .option("roleAddress", "string", ""),
        .option("secretId", "string", "#SEGMENT_WORKSPACE_ID", required: true, label: "Secret ID (Read-Only)"),
        .option("stream", "string", "", required: true),
        .option("useMessageId", "boolean", false),
    ]

    /// Parses a JSON object literal written in a test.
    static func object(_ json: String) throws -> [String: JSONValue] {
        try #require(JSONValue.parse(json).objectValue)
    }
}

extension IntegrationOption {
    /// An option as the catalog lists it; the label matters only for read-only options.
    static func option(
        _ name: String,
        _ type: String,
        _ defaultValue: JSONValue?,
        required: Bool = false,
        label: String? = nil
    ) -> IntegrationOption {
        IntegrationOption(name: name, type: type, defaultValue: defaultValue, description: "", required: required, label: label ?? name)
    }
}
