import SluiceCatalogData
import SluiceCore
import Synchronization

/// The destination and source catalog: every entry as a model, and as the JSON bytes of its
/// wire shape (`DestinationMetadataV1`, `SourceMetadataV1`), encoded once when the catalog is made.
///
/// Responses that embed an entry splice ``destinationJSON(id:)`` into their own JSON (with
/// `JSONWriter.raw(_:)`) instead of encoding the entry again; the arrays handed out share
/// the catalog's storage.
///
/// There are three ways to get one:
/// - ``embedded()``: the catalog shipped inside the binary (`SluiceCatalogData`), derived from
///   Segment's docs catalog with the prose descriptions left out.
/// - ``init(sluiceFormat:)``: a catalog stored by `sluice catalog import`, written by ``sluiceFormat()``.
/// - ``init(destinations:sources:)``, and ``applying(_:)`` to replace a half with what
///   ``convert(segmentFile:descriptions:)`` read from a file.
///
/// Entries keep the order of the file they came from.
public final class Catalog: Sendable {
    /// The destinations, in the catalog's order.
    public let destinations: [DestinationMetadata]
    /// The sources, in the catalog's order.
    public let sources: [SourceMetadata]

    private let destinationBytes: [[UInt8]]
    private let sourceBytes: [[UInt8]]
    private let destinationIndex: [String: Int]
    private let sourceIndex: [String: Int]
    /// Each entry's ``SecretNames``, worked out at its first use: (destinations, sources) by id.
    private let secretNameCache = Mutex(SecretNameCache())

    private struct SecretNameCache {
        var destinations: [String: SecretNames] = [:]
        var sources: [String: SecretNames] = [:]
    }
    /// Each destination entry's ``SettingsRules``, worked out at its first use, by id.
    private let settingsRulesCache = Mutex<[String: SettingsRules]>([:])

    /// Makes a catalog of these entries, encoding each one's wire JSON.
    ///
    /// - Parameters:
    ///   - destinations: The destination entries, in the order to list them.
    ///   - sources: The source entries, in the order to list them.
    /// - Throws: ``CatalogError`` when two destinations, or two sources, share an id.
    public init(destinations: [DestinationMetadata], sources: [SourceMetadata]) throws(CatalogError) {
        self.destinationIndex = try Self.index(destinations.map(\.id), kind: "destinations")
        self.sourceIndex = try Self.index(sources.map(\.id), kind: "sources")
        self.destinations = destinations
        self.sources = sources
        self.destinationBytes = destinations.map { d in
            var writer = JSONWriter(capacity: 4096)
            WireFormat.write(d, to: &writer)
            return writer.bytes
        }
        self.sourceBytes = sources.map { s in
            var writer = JSONWriter(capacity: 512)
            WireFormat.write(s, to: &writer)
            return writer.bytes
        }
    }

    private static func index(_ ids: [String], kind: String) throws(CatalogError) -> [String: Int] {
        var index: [String: Int] = [:]
        index.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() {
            if let first = index.updateValue(i, forKey: id) {
                throw CatalogError(entry: "\(kind)[\(i)] (id \(id))", field: "id", problem: "is also the id of \(kind)[\(first)]")
            }
        }
        return index
    }

    // MARK: - Lookup

    /// Which settings of the destination entry `id` are secret; for an id the catalog does not have, those the name
    /// alone makes secret.
    public func secretNames(destination id: String) -> SecretNames {
        secretNames(\.destinations, id: id) { destination(id: id)?.options ?? [] }
    }

    /// Which settings of the source entry `id` are secret, as ``secretNames(destination:)``.
    public func secretNames(source id: String) -> SecretNames {
        secretNames(\.sources, id: id) { source(id: id)?.options ?? [] }
    }

    private func secretNames(
        _ kind: WritableKeyPath<SecretNameCache, [String: SecretNames]>, id: String, options: () -> [IntegrationOption]
    ) -> SecretNames {
        if let names = secretNameCache.withLock({ $0[keyPath: kind][id] }) { return names }
        let names = SecretNames(options: options())
        secretNameCache.withLock { $0[keyPath: kind][id] = names }
        return names
    }

    /// The options of the destination entry `id` prepared for creating and updating settings; `nil` for an id the
    /// catalog does not have.
    public func settingsRules(destination id: String) -> SettingsRules? {
        if let rules = settingsRulesCache.withLock({ $0[id] }) { return rules }
        guard let options = destination(id: id)?.options else { return nil }
        let rules = SettingsRules(options: options)
        settingsRulesCache.withLock { $0[id] = rules }
        return rules
    }

    /// The destination with this id (`destinationMetadataId`), or `nil`.
    public func destination(id: String) -> DestinationMetadata? {
        destinationIndex[id].map { destinations[$0] }
    }

    /// The position of the destination with this id in ``destinations``, or `nil`.
    public func destinationPosition(id: String) -> Int? { destinationIndex[id] }

    /// The wire JSON (`DestinationMetadataV1`) of the destination with this id, or `nil`.
    public func destinationJSON(id: String) -> [UInt8]? {
        destinationIndex[id].map { destinationBytes[$0] }
    }

    /// The wire JSON (`DestinationMetadataV1`) of `destinations[position]`.
    ///
    /// - Precondition: `position` is a valid index of ``destinations``.
    public func destinationJSON(at position: Int) -> [UInt8] { destinationBytes[position] }

    /// The source with this id (`sourceMetadataId`), or `nil`.
    public func source(id: String) -> SourceMetadata? {
        sourceIndex[id].map { sources[$0] }
    }

    /// The position of the source with this id in ``sources``, or `nil`.
    public func sourcePosition(id: String) -> Int? { sourceIndex[id] }

    /// The wire JSON (`SourceMetadataV1`) of the source with this id, or `nil`.
    public func sourceJSON(id: String) -> [UInt8]? {
        sourceIndex[id].map { sourceBytes[$0] }
    }

    /// The wire JSON (`SourceMetadataV1`) of `sources[position]`.
    ///
    /// - Precondition: `position` is a valid index of ``sources``.
    public func sourceJSON(at position: Int) -> [UInt8] { sourceBytes[position] }

    // MARK: - Replacing a half

    /// A catalog with the halves that `contents` holds replaced, and the others kept.
    ///
    /// - Parameter contents: What a file held, from ``convert(segmentFile:descriptions:)``.
    /// - Returns: The new catalog; this one is unchanged.
    /// - Throws: ``CatalogError`` when a half of `contents` repeats an id (never for what
    ///   ``convert(segmentFile:descriptions:)`` returns: it refuses such files itself).
    public func applying(_ contents: CatalogImport) throws(CatalogError) -> Catalog {
        try Catalog(destinations: contents.destinations ?? destinations, sources: contents.sources ?? sources)
    }

    // MARK: - Sluice's own format

    /// The catalog in Sluice's own format: JSON of the form
    /// `{"sluiceCatalog":1,"destinations":[DestinationMetadataV1...],"sources":[SourceMetadataV1...]}`,
    /// one entry a line, built from the entries' stored wire JSON.
    ///
    /// ``init(sluiceFormat:)`` reads it back to an equal catalog; it is what `sluice catalog import`
    /// stores, and what the shipped catalog is embedded as.
    public func sluiceFormat() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(destinationBytes.reduce(0) { $0 + $1.count + 2 } + sourceBytes.reduce(0) { $0 + $1.count + 2 } + 64)
        bytes.append(contentsOf: #"{"sluiceCatalog":1,"destinations":["#.utf8)
        for (i, entry) in destinationBytes.enumerated() {
            bytes.append(contentsOf: i == 0 ? [0x0A] : [UInt8(ascii: ","), 0x0A])
            bytes.append(contentsOf: entry)
        }
        bytes.append(contentsOf: "\n],\"sources\":[".utf8)
        for (i, entry) in sourceBytes.enumerated() {
            bytes.append(contentsOf: i == 0 ? [0x0A] : [UInt8(ascii: ","), 0x0A])
            bytes.append(contentsOf: entry)
        }
        bytes.append(contentsOf: "\n]}\n".utf8)
        return bytes
    }

    /// Reads a catalog written by ``sluiceFormat()``.
    ///
    /// - Parameter bytes: The stored catalog.
    /// - Throws: ``CatalogError`` when the bytes are not JSON, not of that form, or an entry
    ///   is malformed (the message names the entry and field).
    public convenience init(sluiceFormat bytes: some Collection<UInt8>) throws(CatalogError) {
        // The fast reader takes what sluiceFormat() writes; on anything else the general path
        // reads the file again, and either accepts it or says which entry and field are wrong.
        let fast =
            bytes.withContiguousStorageIfAvailable { try? FastWireReader.sluiceFormat($0) }
            ?? Array(bytes).withUnsafeBufferPointer { try? FastWireReader.sluiceFormat($0) }
        if let (destinations, sources) = fast {
            try self.init(destinations: destinations, sources: sources)
            return
        }
        let contents = try Self.readSluiceFormat(bytes)
        try self.init(destinations: contents.destinations ?? [], sources: contents.sources ?? [])
    }

    /// Reads Sluice's format with the general path: ``JSONValue`` first, then each entry.
    static func readSluiceFormat(_ bytes: some Collection<UInt8>) throws(CatalogError) -> CatalogImport {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            throw CatalogError(problem: "not a Sluice catalog: not valid JSON: \(error)")
        }
        guard let object = root.objectValue, object["sluiceCatalog"] == .number(1) else {
            throw CatalogError(problem: "not a Sluice catalog: expected an object with \"sluiceCatalog\": 1")
        }
        return try CatalogConverter.sluiceFormat(object, descriptions: .keep)
    }

    // MARK: - The shipped catalog

    private static let shipped: Catalog = {
        do {
            return try Catalog(sluiceFormat: CatalogData.bytes)
        } catch {
            // The tests decode every shipped entry; this cannot happen in a build that passed them.
            fatalError("The embedded catalog does not decode: \(error)")
        }
    }()

    /// The catalog shipped inside the binary, decoded on first use and shared after.
    ///
    /// It holds every destination and source of Segment's docs catalog that the
    /// generator read (`scripts/generate-catalog.sh`), with descriptions `""`.
    public static func embedded() -> Catalog { shipped }
}

extension Catalog {
    /// Whether a conversion keeps the free-text `description` fields of entries, options,
    /// actions and fields, or writes them as `""`.
    public enum Descriptions: Sendable, Equatable {
        /// Keep them, as `sluice catalog import` does.
        case keep
        /// Leave them out, as the shipped catalog does: they are Segment's prose.
        case strip
    }

    /// Reads a catalog file as Segment publishes it and converts it to the model.
    ///
    /// The file may be:
    /// - Segment's docs catalog in YAML (`destinations.yml` or `sources.yml` from
    ///   `segmentio/segment-docs`, a mapping whose `items` lists the entries); whether it lists
    ///   destinations or sources is read from its entries;
    /// - a JSON dump of the Public API's `getDestinationsCatalog` (or `getSourcesCatalog`)
    ///   answers: one page `{"data":{"destinationsCatalog":[...]}}`, an array of such pages, or
    ///   a bare array of `DestinationMetadataV1` (or `SourceMetadataV1`) objects;
    /// - a catalog in Sluice's own format (``sluiceFormat()``), which holds both halves.
    ///
    /// - Parameters:
    ///   - bytes: The file's contents. A file starting with `{` or `[` is read as JSON, any other as YAML.
    ///   - descriptions: Whether to keep the descriptions.
    /// - Returns: The half (or halves) the file held, in the file's order, to pass to ``applying(_:)``.
    /// - Throws: ``CatalogError`` naming the entry (its index, and id or slug) and the field,
    ///   when the file cannot be read, holds no entries, has an entry that is malformed, or
    ///   repeats an id. Nothing of a refused file is returned.
    public static func convert(segmentFile bytes: [UInt8], descriptions: Descriptions = .keep) throws(CatalogError) -> CatalogImport {
        try CatalogConverter.convert(bytes, descriptions: descriptions)
    }
}

/// What a catalog file held: the destinations, the sources, or both.
///
/// A half that is `nil` was not in the file; ``Catalog/applying(_:)`` keeps the catalog's own.
public struct CatalogImport: Sendable, Equatable {
    /// The destinations the file listed, in its order, or `nil` when it listed none.
    public var destinations: [DestinationMetadata]?
    /// The sources the file listed, in its order, or `nil` when it listed none.
    public var sources: [SourceMetadata]?

    /// Creates the contents of a file.
    public init(destinations: [DestinationMetadata]? = nil, sources: [SourceMetadata]? = nil) {
        self.destinations = destinations
        self.sources = sources
    }
}
