import Foundation

/// Which setting values are sealed at rest, and the sealing and opening of a settings object.
///
/// The rule is the one that masks answers: a destination setting is secret when
/// ``DestinationSettings/isSecret(name:option:)`` says so, a subscription setting when its action
/// field is of type `PASSWORD` and it holds a literal string (``SubscriptionUseCase/masked(_:fields:)``'s
/// rule). A value is sealed as the JSON text of the value, so numbers and objects come back as they
/// were; `null` is never sealed. A value that is sealed already stays sealed even if the rule no
/// longer calls it secret (a catalog changed), so nothing sealed is ever written back in clear.
public enum SecretSealing {
    /// Whether the setting `name` holding `value` is secret.
    public typealias Rule = @Sendable (_ name: String, _ value: JSONValue) -> Bool

    /// The rule for a destination's settings, from its catalog options.
    public static func destinationRule(options: [IntegrationOption]) -> Rule {
        destinationRule(secretNames: SecretNames(options: options))
    }

    /// The rule for a destination's settings, from its catalog entry's secret names.
    public static func destinationRule(secretNames: SecretNames) -> Rule {
        { name, value in value != .null && secretNames.contains(name) }
    }

    /// The rule for a subscription's settings, from its action's fields.
    public static func subscriptionRule(fields: [ActionField]) -> Rule {
        let passwords = Set(fields.filter { $0.type == "PASSWORD" }.map(\.fieldKey))
        return { name, value in
            guard passwords.contains(name), case .string = value else { return false }
            return true
        }
    }

    /// `settings` with every secret value sealed under the cipher's key; values sealed already are kept.
    public static func seal(_ settings: [String: JSONValue], rule: Rule, cipher: any SecretCipher) throws -> [String: JSONValue] {
        try seal(settings, rule: rule, cipher: cipher, keeping: [:], opened: [:])
    }

    /// `settings` sealed as ``seal(_:rule:cipher:)`` does, except that a secret whose value is the one `opened`
    /// holds keeps the sealed text `stored` holds for it, when that is sealed under the cipher's key: an update seals
    /// only the secrets it changed. `stored` is a row's settings as stored and `opened` the same settings opened.
    public static func seal(
        _ settings: [String: JSONValue], rule: Rule, cipher: any SecretCipher, keeping stored: [String: JSONValue], opened: [String: JSONValue]
    ) throws -> [String: JSONValue] {
        let current = SealedSecret.prefix + cipher.keyID + ":"
        var result = settings
        for (name, value) in settings where !isSealedValue(value) && rule(name, value) {
            if case .string(let text)? = stored[name], text.hasPrefix(current), opened[name] == value {
                result[name] = .string(text)
            } else {
                result[name] = .string(try cipher.seal(JSONWriter.encode(value)))
            }
        }
        return result
    }

    /// `settings` with every sealed value opened (whatever the rule: sealed values are known by their prefix).
    ///
    /// - Throws: what ``SecretCipher/open(_:)`` throws; ``SecretError/damaged`` when the opened bytes are not JSON.
    public static func open(_ settings: [String: JSONValue], cipher: any SecretCipher) throws -> [String: JSONValue] {
        var result = settings
        for (name, value) in settings {
            guard case .string(let text) = value, SealedSecret.isSealed(text) else { continue }
            let bytes = try cipher.open(text)
            guard let opened = try? JSONValue.parse(bytes) else { throw SecretError.damaged }
            result[name] = opened
        }
        return result
    }

    /// The settings as they should be stored under the cipher's current key: every clear secret sealed,
    /// every value sealed under another key opened and sealed again; `nil` when nothing changes.
    ///
    /// Migration (clear to sealed) and key rotation are both this function applied to every row.
    public static func reseal(_ settings: [String: JSONValue], rule: Rule, cipher: any SecretCipher) throws -> [String: JSONValue]? {
        var result = settings
        var changed = false
        for (name, value) in settings {
            if case .string(let text) = value, let sealed = SealedSecret.parse(text) {
                guard sealed.keyID != cipher.keyID else { continue }
                let bytes = try cipher.open(text)
                guard (try? JSONValue.parse(bytes)) != nil else { throw SecretError.damaged }
                result[name] = .string(try cipher.seal(bytes))
                changed = true
            } else if rule(name, value) {
                result[name] = .string(try cipher.seal(JSONWriter.encode(value)))
                changed = true
            }
        }
        return changed ? result : nil
    }

    private static func isSealedValue(_ value: JSONValue) -> Bool {
        if case .string(let text) = value { return SealedSecret.isSealed(text) }
        return false
    }
}
