import SluiceCore
import Testing

@Suite struct SettingsMaskingTests {
    typealias Settings = DestinationSettings

    // MARK: - Which settings are secret

    @Test(arguments: [
        "apiKey", "APIKEY", "api_key", "api-key", "apiSecret", "secretKey", "secret_key", "sharedSecret", "token", "accessToken",
        "password", "clientSecret", "client_secret", "secret", "privateKey", "authToken", "writeKey", "apiToken",
    ])
    func usualSecretNamesAreSecret(_ name: String) {
        #expect(Settings.isSecret(name: name, option: nil))
        #expect(Settings.isSecret(name: name, option: .option(name, "string", "")))
    }

    @Test(arguments: ["secretId", "apiKeySID", "writeKeyAllowed", "endpoint", "versionName", "tokenized", "region"])
    func otherNamesAreNotSecret(_ name: String) {
        #expect(!Settings.isSecret(name: name, option: nil))
        #expect(!Settings.isSecret(name: name, option: .option(name, "string", "")))
    }

    @Test func passwordTypeIsSecretWhateverItsName() {
        #expect(Settings.isSecret(name: "s3_access", option: .option("s3_access", "password", "")))
        #expect(Settings.isSecret(name: "ucd", option: .option("ucd", "PASSWORD", "")))
    }

    @Test func secretNamesWorkedOutOnceAnswerAsEachCallWould() {
        let options: [IntegrationOption] = [
            .option("s3_access", "password", ""), .option("apiKey", "string", ""), .option("secretId", "string", ""),
            .option("region", "string", ""), .option("region", "password", ""),
        ]
        let names = SecretNames(options: options)
        let byName = Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        // The entry's options, a name it does not have that is secret by name, and one that is not
        for name in ["s3_access", "apiKey", "secretId", "region", "api_key", "writeKey", "endpoint"] {
            #expect(names.contains(name) == Settings.isSecret(name: name, option: byName[name]), "\(name)")
        }
        // Of two options with one name the first counts, and the masks agree
        #expect(!names.contains("region"))
        let settings: [String: JSONValue] = ["s3_access": "abcdefgh", "apiKey": "key-1234", "region": "eu", "token": "t-5678"]
        #expect(Settings.mask(names, settings: settings) == Settings.mask(options: options, settings: settings))
        #expect(Settings.mask(names, settings: settings)["token"] == "••••••••••5678")
    }

    // MARK: - Masked values

    @Test func longValueShowsItsLastFourCharacters() {
        #expect(Settings.maskedValue("3cb9b589437d3904f19b2b791c2cdada") == "••••••••••dada")
        #expect(Settings.maskedValue("abcde") == "••••••••••bcde")
        #expect(Settings.maskPrefix == "\u{2022}\u{2022}\u{2022}\u{2022}\u{2022}\u{2022}\u{2022}\u{2022}\u{2022}\u{2022}")
    }

    @Test(arguments: ["a", "ab", "abc", "test"]) func shortValueIsMaskedWhole(_ value: String) {
        #expect(Settings.maskedValue(.string(value)) == "••••••••••")
    }

    @Test func emptyAndNullStayAsTheyAre() {
        #expect(Settings.maskedValue("") == "")
        #expect(Settings.maskedValue(.null) == .null)
    }

    @Test(arguments: [JSONValue.number(1_234_567), .bool(true), .array(["k1", "k2"]), .object(["private": "key"])])
    func nonStringSecretIsMaskedWhole(_ value: JSONValue) {
        #expect(Settings.maskedValue(value) == "••••••••••")
    }

    @Test func lastFourAreWholeCharacters() {
        #expect(Settings.maskedValue("secret-🇫🇷é👍🏽x") == "••••••••••🇫🇷é👍🏽x")
    }

    @Test func maskChangesOnlySecrets() {
        // Given settings with a named secret, a password-typed option, an unknown secret-named key and plain values
        let options: [IntegrationOption] = [
            .option("apiKey", "string", ""), .option("ucd_key", "password", ""), .option("endpoint", "select", ""),
        ]
        let settings: [String: JSONValue] = [
            "apiKey": "3cb9b589437d3904f19b2b791c2cdada", "ucd_key": "k-12345", "endpoint": "https://api.eu.amplitude.com",
            "token": "tok_abcdef", "secretKey": "", "retarget": true,
        ]

        // When masked
        let shown = Settings.mask(options: options, settings: settings)

        // Then only the secrets are masked
        #expect(
            shown == [
                "apiKey": "••••••••••dada", "ucd_key": "••••••••••2345", "endpoint": "https://api.eu.amplitude.com",
                "token": "••••••••••cdef", "secretKey": "", "retarget": true,
            ]
        )
    }

    // MARK: - Recognising a masked value

    @Test func maskedFormOfTheStoredValueIsMasked() {
        #expect(Settings.isMasked("••••••••••dada", stored: "3cb9b589437d3904f19b2b791c2cdada"))
        #expect(Settings.isMasked("••••••••••", stored: "abc"))
        #expect(Settings.isMasked("••••••••••", stored: ["a": 1]))
    }

    @Test func otherValuesAreNotMasked() {
        #expect(!Settings.isMasked("••••••••••beef", stored: "3cb9b589437d3904f19b2b791c2cdada"))
        #expect(!Settings.isMasked("3cb9b589437d3904f19b2b791c2cdada", stored: "3cb9b589437d3904f19b2b791c2cdada"))
        #expect(!Settings.isMasked("•••••dada", stored: "3cb9b589437d3904f19b2b791c2cdada"))
        #expect(!Settings.isMasked("••••••••••dada", stored: nil))
        #expect(!Settings.isMasked("••••••••••", stored: .null))
        #expect(!Settings.isMasked("", stored: ""))
        #expect(!Settings.isMasked("••••••••••", stored: "long-secret"))
    }
}
