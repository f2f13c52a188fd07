import Foundation

extension DestinationSettings {
    // MARK: - Secrets

    /// What a masked value starts with: ten `•` (U+2022 BULLET).
    public static let maskPrefix = String(repeating: "\u{2022}", count: 10)

    /// The usual secret names, lowercased with `_` and `-` removed (so `apiKey`, `api_key` and `API-KEY` all match).
    ///
    /// A product choice (NOTES.md): exact names, not substrings, so `secretId` (Amazon Kinesis, shown in clear in
    /// Segment's own example), `apiKeySID` or `writeKeyAllowed` stay visible.
    public static let secretNames: Set<String> = [
        "accesskey", "accesstoken", "apikey", "apikeysecret", "apipassword", "apisecret", "apitoken", "authkey",
        "authpassword", "authsecret", "authtoken", "bearertoken", "clientsecret", "oauthclientsecret", "password",
        "privatekey", "privatetoken", "refreshtoken", "secret", "secretaccesskey", "secretkey", "securitytoken",
        "servertoken", "sharedsecret", "token", "writekey",
    ]

    /// Whether a setting is secret, so responses mask it: its catalog type is `password`, or its name is one of
    /// ``secretNames`` (compared case-insensitively, ignoring `_` and `-`).
    ///
    /// - Parameters:
    ///   - name: The setting's key.
    ///   - option: Its catalog option, or `nil` for a key the catalog does not know (then only the name counts).
    public static func isSecret(name: String, option: IntegrationOption?) -> Bool {
        if option?.type.lowercased() == "password" { return true }
        let normalized = String(name.lowercased().filter { $0 != "_" && $0 != "-" })
        return secretNames.contains(normalized)
    }

    /// The settings as responses show them: every secret value (``isSecret(name:option:)``) replaced by
    /// ``maskedValue(_:)``, everything else as stored.
    public static func mask(options: [IntegrationOption], settings: [String: JSONValue]) -> [String: JSONValue] {
        mask(SecretNames(options: options), settings: settings)
    }

    /// The settings as responses show them, with the entry's secret names worked out already.
    public static func mask(_ secretNames: SecretNames, settings: [String: JSONValue]) -> [String: JSONValue] {
        var result = settings
        for (name, value) in settings where secretNames.contains(name) {
            result[name] = maskedValue(value)
        }
        return result
    }

    /// One secret value as responses show it.
    ///
    /// - A string of more than four characters: ``maskPrefix`` then its last four characters (`••••••••••dada`).
    /// - A string of one to four characters is masked whole: ``maskPrefix`` alone, so its length does not show.
    /// - An empty string stays empty (nothing to hide; Segment answers `"secretKey": ""`), and `null` stays `null`.
    /// - Any other value (number, boolean, array, object) becomes ``maskPrefix`` alone: nothing of it shows, and the
    ///   masked form still round-trips through ``isMasked(_:stored:)``.
    ///
    /// Characters are grapheme clusters, so a secret ending in an emoji is not cut inside it.
    public static func maskedValue(_ value: JSONValue) -> JSONValue {
        switch value {
        case .null:
            return .null
        case .string(let text):
            if text.isEmpty { return value }
            if text.count <= 4 { return .string(maskPrefix) }
            return .string(maskPrefix + text.suffix(4))
        case .bool, .number, .array, .object:
            return .string(maskPrefix)
        }
    }

    /// Whether `value`, sent in an update, is the masked form of the stored secret, so the stored secret stays.
    ///
    /// True only when `value` starts with ``maskPrefix`` and equals ``maskedValue(_:)`` of `stored`; a masked-looking
    /// value that does not match the stored one (e.g. copied from another destination) is not masked and would be
    /// stored as sent. Never true when nothing is stored.
    public static func isMasked(_ value: String, stored: JSONValue?) -> Bool {
        guard let stored, value.hasPrefix(maskPrefix) else { return false }
        return maskedValue(stored) == .string(value)
    }
}
