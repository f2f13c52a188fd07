import Foundation

/// The rules for a destination's `settings`: defaults, type checks, read-only and required options, and merging updates.
///
/// Settings are free-form JSON keyed by option name. The destination's catalog entry lists its options
/// (``IntegrationOption``); keys the catalog does not know are kept as the client sent them, as Segment keeps them.
/// Everything here is pure: the HTTP layer passes the catalog entry's options, the request's settings, and the
/// destination's resulting `enabled` flag, and stores what comes back. Responses go through ``mask(options:settings:)``.
///
/// Choices Segment does not document (see `reference/NOTES.md` for the ones it does):
/// - Defaults: every option with a `defaultValue` is present in the result. An option whose `defaultValue` is absent
///   or `null` stays absent until the client sets it; no zero value is invented (the shipped catalog gives every
///   option a default, so this only matters for hand-made catalogs).
/// - `#SEGMENT_WORKSPACE_ID` anywhere in a string default (also inside array and object defaults) stands for the
///   workspace id.
/// - A `null` in a create is the same as leaving the key out: a known option gets its default, an unknown key is dropped.
/// - A value equal to the option's default is always accepted, whatever its type: a few catalog defaults do not match
///   their own option type (four `array` options default to `""`), and a client that writes back what it read must
///   not be refused. In an update, a value equal to the stored one is likewise accepted unchecked.
/// - When several values are wrong, the error names the first in key order; one error per request.
/// - Read-only options (``IntegrationOption/isReadOnly``) always hold their default, in create and in update.
public enum DestinationSettings {
    /// The text that stands for the workspace id in catalog defaults, e.g. Amazon Kinesis `secretId`.
    public static let workspaceIDPlaceholder = "#SEGMENT_WORKSPACE_ID"

    // MARK: - Create

    /// Builds a new destination's settings: every option's default, overlaid with what the client sent.
    ///
    /// Each sent key the catalog knows is type-checked against its option (see ``SettingKind``); keys the catalog
    /// does not know are kept as sent. Read-only options take their default and what the client sent for them is
    /// ignored. A `null` value counts as not sent.
    ///
    /// - Parameters:
    ///   - options: The catalog entry's options.
    ///   - input: The request's `settings` object.
    ///   - enabled: Whether the destination is created enabled; if so, every required option must be non-empty.
    ///   - workspaceID: Replaces ``workspaceIDPlaceholder`` in defaults.
    /// - Returns: The settings to store (clear, unmasked).
    /// - Throws: ``ValidationError`` (422, `field` `settings.<name>`) for a value of the wrong type, or, when
    ///   `enabled`, one naming every required option that is empty (`field` the first of them, in catalog order).
    public static func create(
        options: [IntegrationOption],
        input: [String: JSONValue],
        enabled: Bool,
        workspaceID: String
    ) throws(ValidationError) -> [String: JSONValue] {
        try create(rules: SettingsRules(options: options), input: input, enabled: enabled, workspaceID: workspaceID)
    }

    /// ``create(options:input:enabled:workspaceID:)`` with the catalog entry's options prepared once.
    public static func create(
        rules: SettingsRules,
        input: [String: JSONValue],
        enabled: Bool,
        workspaceID: String
    ) throws(ValidationError) -> [String: JSONValue] {
        let (options, byName) = (rules.options, rules.byName)
        let defaults = rules.defaults(workspaceID: workspaceID)
        var result = defaults
        for (name, value) in input.sorted(by: { $0.key < $1.key }) where !value.isNull {
            guard let option = byName[name] else {
                result[name] = value
                continue
            }
            if option.isReadOnly { continue }
            try check(value, name: name, option: option, default: defaults[name])
            result[name] = value
        }
        if enabled { try requireNonEmpty(options: options, settings: result) }
        return result
    }

    // MARK: - Update

    /// Merges an update's settings into the stored ones, key by key.
    ///
    /// - A `null` resets the key to its option's default; for a key the catalog does not know (or an option with no
    ///   default) it removes the key.
    /// - For a secret (``isSecret(name:option:)``), a value equal to the masked form of the stored value
    ///   (``isMasked(_:stored:)``) keeps the stored secret; any other value replaces it.
    /// - Read-only options are ignored and keep their default. A patch of read-only keys only is refused (400);
    ///   an empty patch changes nothing.
    /// - New values are type-checked as in ``create(options:input:enabled:workspaceID:)``; a value equal to the stored
    ///   one is accepted unchecked. Options the catalog gained since the settings were stored get their default.
    ///
    /// - Parameters:
    ///   - options: The catalog entry's options.
    ///   - stored: The destination's current settings (clear).
    ///   - patch: The request's `settings` object.
    ///   - enabled: Whether the destination is enabled after this update; if so, every required option must be
    ///     non-empty in the result.
    ///   - workspaceID: Replaces ``workspaceIDPlaceholder`` in defaults.
    /// - Returns: The settings to store (clear, unmasked).
    /// - Throws: ``ValidationError`` with kind ``ValidationError/Kind/badRequest`` (400) when the patch holds only
    ///   read-only keys; 422 for a value of the wrong type, or, when `enabled`, one naming every empty required option.
    public static func update(
        options: [IntegrationOption],
        stored: [String: JSONValue],
        patch: [String: JSONValue],
        enabled: Bool,
        workspaceID: String
    ) throws(ValidationError) -> [String: JSONValue] {
        try update(rules: SettingsRules(options: options), stored: stored, patch: patch, enabled: enabled, workspaceID: workspaceID)
    }

    /// ``update(options:stored:patch:enabled:workspaceID:)`` with the catalog entry's options prepared once.
    public static func update(
        rules: SettingsRules,
        stored: [String: JSONValue],
        patch: [String: JSONValue],
        enabled: Bool,
        workspaceID: String
    ) throws(ValidationError) -> [String: JSONValue] {
        let (options, byName) = (rules.options, rules.byName)
        let readOnly = patch.keys.filter { byName[$0]?.isReadOnly == true }.sorted()
        if !patch.isEmpty, readOnly.count == patch.count {
            let names = readOnly.map { "settings.\($0)" }.joined(separator: ", ")
            let verb = readOnly.count == 1 ? "is a read-only setting" : "are read-only settings"
            throw ValidationError("\(names) \(verb) and cannot be updated", field: "settings.\(readOnly[0])", kind: .badRequest)
        }

        let defaults = rules.defaults(workspaceID: workspaceID)
        var result = defaults.merging(stored) { _, stored in stored }
        for option in options where option.isReadOnly {
            result[option.name] = defaults[option.name]
        }
        for (name, value) in patch.sorted(by: { $0.key < $1.key }) {
            let option = byName[name]
            if option?.isReadOnly == true { continue }
            if value.isNull {
                result[name] = defaults[name]
                continue
            }
            if let old = stored[name] {
                if value == old { continue }
                if case .string(let text) = value, isSecret(name: name, option: option), isMasked(text, stored: old) { continue }
            }
            if let option { try check(value, name: name, option: option, default: defaults[name]) }
            result[name] = value
        }
        if enabled { try requireNonEmpty(options: options, settings: result) }
        return result
    }

    // MARK: - Defaults and required options

    /// Every option's default, with ``workspaceIDPlaceholder`` replaced by `workspaceID`.
    ///
    /// Options whose `defaultValue` is absent or `null` are left out.
    public static func defaults(options: [IntegrationOption], workspaceID: String) -> [String: JSONValue] {
        SettingsRules(options: options).defaults(workspaceID: workspaceID)
    }

    /// Whether a setting's value counts as empty for a required option.
    ///
    /// Empty: absent, `null`, a string of only whitespace (`""` included), an empty array, an empty object.
    /// `false` and `0` are values, not empty.
    public static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: true
        case .string(let text)?: text.allSatisfy(\.isWhitespace)
        case .array(let elements)?: elements.isEmpty
        case .object(let members)?: members.isEmpty
        case .bool?, .number?: false
        }
    }

    /// Throws one 422 naming every required option that is empty in `settings`, in catalog order.
    static func requireNonEmpty(options: [IntegrationOption], settings: [String: JSONValue]) throws(ValidationError) {
        var seen = Set<String>()
        let missing = options.filter { $0.required && seen.insert($0.name).inserted && isEmpty(settings[$0.name]) }
        guard let first = missing.first else { return }
        let names = missing.map { "settings.\($0.name)" }.joined(separator: ", ")
        let verb = missing.count == 1 ? "is" : "are"
        throw ValidationError("\(names) \(verb) required when the destination is enabled", field: "settings.\(first.name)")
    }

    // MARK: - Type checks

    /// Checks one sent value against its option's type; a value equal to the option's default always passes.
    static func check(_ value: JSONValue, name: String, option: IntegrationOption, default: JSONValue?) throws(ValidationError) {
        if value == `default` { return }
        let kind = SettingKind(optionType: option.type)
        guard let problem = kind.problem(with: value) else { return }
        throw ValidationError("settings.\(name) \(problem)", field: "settings.\(name)")
    }

    /// The options by name; when a catalog lists a name twice, the first wins.
    static func index(_ options: [IntegrationOption]) -> [String: IntegrationOption] {
        Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static func substitutingWorkspaceID(in value: JSONValue, workspaceID: String) -> JSONValue {
        switch value {
        case .string(let text) where text.contains(workspaceIDPlaceholder):
            .string(text.replacingOccurrences(of: workspaceIDPlaceholder, with: workspaceID))
        case .array(let elements):
            .array(elements.map { substitutingWorkspaceID(in: $0, workspaceID: workspaceID) })
        case .object(let members):
            .object(members.mapValues { substitutingWorkspaceID(in: $0, workspaceID: workspaceID) })
        default:
            value
        }
    }
}

/// A catalog entry's options made ready for ``DestinationSettings``: indexed by name, with their defaults. Worked out
/// once per catalog entry (`Catalog.settingsRules(destination:)`) rather than on every create and update.
public struct SettingsRules: Sendable {
    /// The options, in catalog order.
    public let options: [IntegrationOption]
    /// The options by name; when a catalog lists a name twice, the first wins.
    let byName: [String: IntegrationOption]
    /// Every option's default (the first option of a name that has one), ``DestinationSettings/workspaceIDPlaceholder``
    /// still in place; options whose `defaultValue` is absent or `null` are left out.
    let rawDefaults: [String: JSONValue]
    /// Whether any default holds the placeholder.
    let placeholder: Bool

    /// Prepares `options`.
    public init(options: [IntegrationOption]) {
        self.options = options
        byName = DestinationSettings.index(options)
        var defaults: [String: JSONValue] = [:]
        for option in options where defaults[option.name] == nil {
            guard let value = option.defaultValue, !value.isNull else { continue }
            defaults[option.name] = value
        }
        rawDefaults = defaults
        placeholder = defaults.values.contains { DestinationSettings.substitutingWorkspaceID(in: $0, workspaceID: "") != $0 }
    }

    /// Every option's default, with ``DestinationSettings/workspaceIDPlaceholder`` replaced by `workspaceID`.
    public func defaults(workspaceID: String) -> [String: JSONValue] {
        placeholder ? rawDefaults.mapValues { DestinationSettings.substitutingWorkspaceID(in: $0, workspaceID: workspaceID) } : rawDefaults
    }
}
