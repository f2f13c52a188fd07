import SluiceCore

/// Tells catalog files apart and reads them with ``SegmentDocsFormat`` or ``WireFormat``.
enum CatalogConverter {
    private enum Kind: String {
        case destinations, sources
    }

    /// Reads any accepted catalog file; see ``Catalog/convert(segmentFile:descriptions:)``.
    static func convert(_ bytes: [UInt8], descriptions: Catalog.Descriptions) throws(CatalogError) -> CatalogImport {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }  // a UTF-8 byte order mark
        while start < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }
        guard start < bytes.count else { throw CatalogError(problem: "the file is empty") }
        if bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "[") {
            return try json(bytes[start...], descriptions: descriptions)
        }
        return try yaml(bytes[start...], descriptions: descriptions)
    }

    // MARK: - Segment's docs YAML

    private static func yaml(_ bytes: ArraySlice<UInt8>, descriptions: Catalog.Descriptions) throws(CatalogError) -> CatalogImport {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CatalogError(problem: "the file is not UTF-8 text")
        }
        // Segment's files open with "# destination data last updated ..." or "# sources last updated ...".
        let header = text.prefix(300).lowercased()
        let guess: Kind? = header.contains("# source") ? .sources : header.contains("# destination") ? .destinations : nil
        let document = try YAMLReader.read(text, itemName: guess?.rawValue ?? "items")
        guard let root = document.root.objectValue else {
            throw CatalogError(problem: "expected a mapping with a list of entries under \"items\"")
        }
        guard let itemsValue = root["items"] else { throw CatalogError(field: "items", problem: "is missing") }
        guard let items = itemsValue.arrayValue else { throw CatalogError(field: "items", problem: "must be a list") }
        guard let first = items.first else { throw CatalogError(field: "items", problem: "lists no entries") }

        let kind: Kind
        let firstKeys = Set(first.objectValue?.keys.map { $0 } ?? [])
        if !firstKeys.isDisjoint(with: ["isCloudEventSource", "source_type"]) {
            kind = .sources
        } else if !firstKeys.isDisjoint(with: ["methods", "platforms", "actions", "presets", "browserUnbundlingSupported"]) {
            kind = .destinations
        } else if let guess {
            kind = guess
        } else {
            throw CatalogError(
                entry: FieldReader.entryLabel(kind: "items", index: 0, object: first.objectValue, line: document.itemLines.first),
                problem: "cannot tell whether the file lists destinations or sources"
            )
        }

        var labels: [String] = []
        labels.reserveCapacity(items.count)
        var readers: [FieldReader] = []
        readers.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            let line = i < document.itemLines.count ? document.itemLines[i] : nil
            let label = FieldReader.entryLabel(kind: kind.rawValue, index: i, object: item.objectValue, line: line)
            guard let object = item.objectValue else {
                throw CatalogError(entry: label, problem: "must be a mapping, not \(item.typeName)")
            }
            labels.append(label)
            readers.append(FieldReader(object: object, entry: label))
        }
        switch kind {
        case .destinations:
            var entries: [DestinationMetadata] = []
            entries.reserveCapacity(readers.count)
            for r in readers { entries.append(try SegmentDocsFormat.destination(r, descriptions: descriptions)) }
            try checkUnique(entries.map(\.id), labels: labels)
            return CatalogImport(destinations: entries)
        case .sources:
            var entries: [SourceMetadata] = []
            entries.reserveCapacity(readers.count)
            for r in readers { entries.append(try SegmentDocsFormat.source(r, descriptions: descriptions)) }
            try checkUnique(entries.map(\.id), labels: labels)
            return CatalogImport(sources: entries)
        }
    }

    // MARK: - JSON: Public API dumps and Sluice's format

    private static func json(_ bytes: ArraySlice<UInt8>, descriptions: Catalog.Descriptions) throws(CatalogError) -> CatalogImport {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            throw CatalogError(problem: "not valid JSON: \(error)")
        }
        if let object = root.objectValue, object["sluiceCatalog"] != nil {
            guard object["sluiceCatalog"] == .number(1) else {
                throw CatalogError(field: "sluiceCatalog", problem: "must be 1, the only version of Sluice's format")
            }
            return try sluiceFormat(object, descriptions: descriptions)
        }

        // Gather the entries: from pages ({"data":{"destinationsCatalog":[...]}}), or a bare array.
        var kind: Kind?
        var entries: [JSONValue] = []
        let pages: [JSONValue]
        if case .array(let array) = root, array.first?["data"] == nil {
            guard let first = array.first else { throw CatalogError(problem: "the file lists no entries") }
            let keys = Set(first.objectValue?.keys.map { $0 } ?? [])
            kind = keys.contains("isCloudEventSource") && !keys.contains("supportedMethods") ? .sources : .destinations
            entries = array
            pages = []
        } else {
            pages = root.arrayValue ?? [root]
        }
        for (p, page) in pages.enumerated() {
            let where_ = pages.count > 1 || root.arrayValue != nil ? "[\(p)]" : ""
            let data = page["data"] ?? page
            let pageKind: Kind
            let list: JSONValue
            if let d = data["destinationsCatalog"] {
                (pageKind, list) = (.destinations, d)
            } else if let s = data["sourcesCatalog"] {
                (pageKind, list) = (.sources, s)
            } else {
                throw CatalogError(
                    entry: "pages\(where_)",
                    problem: "has neither data.destinationsCatalog nor data.sourcesCatalog (a getDestinationsCatalog answer was expected)"
                )
            }
            if let kind, kind != pageKind {
                throw CatalogError(entry: "pages\(where_)", problem: "lists \(pageKind.rawValue) where the pages before listed \(kind.rawValue)")
            }
            kind = pageKind
            guard let array = list.arrayValue else {
                throw CatalogError(entry: "pages\(where_)", field: "data.\(pageKind.rawValue)Catalog", problem: "must be a list")
            }
            entries.append(contentsOf: array)
        }
        guard let kind, !entries.isEmpty else { throw CatalogError(problem: "the file lists no entries") }

        switch kind {
        case .destinations:
            let destinations = try wireEntries(entries, kind: .destinations, descriptions: descriptions, id: \.id, WireFormat.destination)
            return CatalogImport(destinations: destinations)
        case .sources:
            return CatalogImport(sources: try wireEntries(entries, kind: .sources, descriptions: descriptions, id: \.id, WireFormat.source))
        }
    }

    /// Reads the halves of a catalog in Sluice's format (the caller checked `sluiceCatalog`).
    static func sluiceFormat(_ object: [String: JSONValue], descriptions: Catalog.Descriptions) throws(CatalogError) -> CatalogImport {
        guard let destinations = object["destinations"]?.arrayValue else {
            throw CatalogError(field: "destinations", problem: "must be a list")
        }
        guard let sources = object["sources"]?.arrayValue else {
            throw CatalogError(field: "sources", problem: "must be a list")
        }
        return CatalogImport(
            destinations: try wireEntries(destinations, kind: .destinations, descriptions: descriptions, id: \.id, WireFormat.destination),
            sources: try wireEntries(sources, kind: .sources, descriptions: descriptions, id: \.id, WireFormat.source)
        )
    }

    private static func wireEntries<T>(
        _ values: [JSONValue],
        kind: Kind,
        descriptions: Catalog.Descriptions,
        id: KeyPath<T, String>,
        _ read: (FieldReader, Catalog.Descriptions) throws(CatalogError) -> T
    ) throws(CatalogError) -> [T] {
        var entries: [T] = []
        entries.reserveCapacity(values.count)
        var labels: [String] = []
        labels.reserveCapacity(values.count)
        for (i, value) in values.enumerated() {
            let label = FieldReader.entryLabel(kind: kind.rawValue, index: i, object: value.objectValue)
            guard let object = value.objectValue else {
                throw CatalogError(entry: label, problem: "must be an object, not \(value.typeName)")
            }
            entries.append(try read(FieldReader(object: object, entry: label), descriptions))
            labels.append(label)
        }
        try checkUnique(entries.map { $0[keyPath: id] }, labels: labels)
        return entries
    }

    private static func checkUnique(_ ids: [String], labels: [String]) throws(CatalogError) {
        var seen: [String: Int] = [:]
        seen.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() {
            if let first = seen.updateValue(i, forKey: id) {
                let firstLabel = labels[first].split(separator: " ").first.map(String.init) ?? labels[first]
                throw CatalogError(entry: labels[i], field: "id", problem: "is also the id of \(firstLabel)")
            }
        }
    }
}
