/// Which settings of one catalog entry are secret (``DestinationSettings/isSecret(name:option:)``), worked out once per
/// entry: its options' answers kept by name, and a name the entry has no option for judged by the name alone.
///
/// Masking an answer and sealing a write ask this for every setting of every destination, so the catalog keeps one
/// per entry (`Catalog.secretNames(destination:)`) instead of indexing the entry's options at each call.
public struct SecretNames: Sendable {
    /// The entry's option names that are secret.
    private let secret: Set<String>
    /// Every option name of the entry.
    private let known: Set<String>

    /// - Parameter options: the entry's options; of two with one name, the first counts (as everywhere in settings).
    public init(options: [IntegrationOption]) {
        var secret = Set<String>()
        var known = Set<String>()
        for option in options where known.insert(option.name).inserted {
            if DestinationSettings.isSecret(name: option.name, option: option) { secret.insert(option.name) }
        }
        self.secret = secret
        self.known = known
    }

    /// Whether the setting `name` is secret.
    public func contains(_ name: String) -> Bool {
        known.contains(name) ? secret.contains(name) : DestinationSettings.isSecret(name: name, option: nil)
    }
}
