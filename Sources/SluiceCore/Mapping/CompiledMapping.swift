import Foundation

/// A mapping decided once and resolved for many events: what ``Mapping/resolve(_:in:)`` does, with everything that
/// does not depend on the event worked out before the first one.
///
/// Compiling finds each directive object's name and argument, parses `@path` paths and `@template` templates, takes
/// an `@if`'s options apart, and collapses every part without a directive into a constant whose encoded size is
/// known. Resolving then reads only the event. A subscription's settings are compiled once per delivery (its
/// ``Mapping/CompiledSettings``) rather than walked again for each event; the profile of Amplitude's Track Calls
/// preset before this spent most of its mapping time finding directives and looking paths up by their text.
///
/// The directives whose arguments are options objects (`@case`, `@replace`, `@flatten`, `@json`, `@merge`,
/// `@transform`, `@excludeWhenNull`) keep their argument and are resolved by Mapping+Directives.swift; a `@path` or
/// `@template` whose argument is itself a directive is resolved the same way, per event.
///
/// Resolution spends the same output budget (``Mapping/maxResolvedBytes``) in the same amounts as Segment's own
/// order of evaluation would produce: a byte per directive, a key's length and 4 per object member, a byte per array
/// element, and the encoded size of each value produced.
public struct CompiledMapping: Sendable {
    let node: Node
    let paths: PathTree

    /// Compiles a mapping. Any JSON value compiles; what ``Mapping/validate(_:field:)`` would refuse resolves to `nil`
    /// where it is malformed.
    public init(_ mapping: JSONValue) {
        var paths = PathTree()
        node = Node(mapping).reading(from: &paths)
        self.paths = paths
    }

    /// The mapping applied to an event, as ``Mapping/resolve(_:in:)`` describes.
    public func resolve(in event: JSONValue) -> JSONValue? {
        var budget = Mapping.maxResolvedBytes
        return node.resolve(in: event, slots: paths.values(in: event), budget: &budget)
    }

    /// A compiled mapping: a value, or a directive with its argument decided.
    indirect enum Node: Sendable {
        /// A value without directives, and what producing it costs.
        case constant(JSONValue, cost: Int)
        /// An object some of whose members hold directives.
        case object([Member])
        /// An array some of whose elements hold directives.
        case array([Node])
        /// An object with a key starting with `@` that is not one directive: resolves to nothing, free.
        case malformed
        /// A directive that resolves to nothing whatever the event (an argument of the wrong type).
        case unresolvable
        /// `@path` with its path written out (`nil` when it does not parse).
        case path(MappingPath?)
        /// `@template` with its text written out.
        case template(MappingTemplate)
        /// `@literal`.
        case literal(Node)
        /// `@if`.
        case condition(Condition)
        /// `@arrayPath`: where the array is read from, and each element's shape (`nil` for the elements as they are).
        case arrayPath(source: Node, shape: Node?)
        /// The value at a path, without a directive's cost: an `@arrayPath`'s source written as a string.
        case read(MappingPath?)
        /// A directive resolved from its argument per event (Mapping+Directives.swift).
        case directive(name: String, argument: JSONValue)
        /// `@path` whose value the ``PathTree`` read into a slot before resolution.
        case slot(Int)
        /// ``read(_:)`` from a slot.
        case readSlot(Int)
    }

    /// A member of an object with directives, with what its key costs.
    struct Member: Sendable {
        let key: String
        let cost: Int
        let node: Node
    }

    /// An `@if`'s options: `exists` (or `blank` when `exists` is absent) as the condition, `then`, and `else` when
    /// it is truthy.
    struct Condition: Sendable {
        let blank: Bool
        let condition: Node
        let then: Node?
        let otherwise: Node?
    }
}

extension CompiledMapping {
    /// The top-level members of an event that resolving this mapping reads, or `nil` when it may read any of them (a
    /// path or placeholder naming the event itself, or a directive resolved per event from its options).
    ///
    /// An event parsed with these members alone (``JSONValue/parse(_:members:)``) resolves to what the whole event
    /// resolves to.
    public var eventMembers: Set<String>? {
        paths.eventMembers(of: [node])
    }

    /// Whether the mapping is a path to the event itself (`{"@path": "$."}`): it resolves to the whole event as it is,
    /// as long as the event fits ``Mapping/maxResolvedBytes``.
    public var isWholeEvent: Bool {
        if case .slot(let slot) = node { return paths.isRoot(slot) }
        return false
    }
}

extension CompiledMapping.Node {
    init(_ value: JSONValue) {
        switch value {
        case .object(let members):
            if Mapping.isDirective(value) {
                guard let (name, argument) = Mapping.directive(members) else {
                    self = .malformed
                    return
                }
                self = Self(directive: name, argument)
                return
            }
            let children = members.map { CompiledMapping.Member(key: $0.key, cost: $0.key.utf8.count + 4, node: Self($0.value)) }
            var cost = 0
            for child in children {
                guard case .constant(_, let childCost) = child.node else {
                    self = .object(children)
                    return
                }
                cost += child.cost + childCost
            }
            self = .constant(value, cost: cost)
        case .array(let elements):
            let children = elements.map(Self.init)
            var cost = 0
            for child in children {
                guard case .constant(_, let childCost) = child else {
                    self = .array(children)
                    return
                }
                cost += 1 + childCost
            }
            self = .constant(value, cost: cost)
        case .null, .bool, .number, .string:
            self = .constant(value, cost: TrackingAPI.encodedSize(value))
        }
    }

    /// A directive object's node, its argument decided.
    init(directive name: String, _ argument: JSONValue) {
        switch name {
        case "@path":
            if case .string(let source) = argument {
                self = .path(MappingPath.cached(source))
            } else {
                self = Mapping.isDirective(argument) ? .directive(name: name, argument: argument) : .unresolvable
            }
        case "@template":
            if case .string(let template) = argument {
                self = .template(MappingTemplate(template))
            } else {
                self = Mapping.isDirective(argument) ? .directive(name: name, argument: argument) : .unresolvable
            }
        case "@literal":
            self = .literal(Self(argument))
        case "@if":
            guard case .object(let options) = argument, JavaScript.isTruthy(options["exists"]) || JavaScript.isTruthy(options["blank"])
            else {
                self = .unresolvable
                return
            }
            let exists = options["exists"]
            self = .condition(
                CompiledMapping.Condition(
                    blank: exists == nil, condition: Self(exists ?? options["blank"]!), then: options["then"].map(Self.init),
                    otherwise: options["else"].flatMap { JavaScript.isTruthy($0) ? Self($0) : nil }))
        case "@arrayPath":
            guard case .array(let elements) = argument, let first = elements.first else {
                self = .unresolvable
                return
            }
            let source: Self
            if Mapping.isDirective(first) {
                source = Self(first)
            } else if case .string(let path) = first {
                source = .read(MappingPath.cached(path))
            } else {
                source = .read(nil)
            }
            var shape: Self?
            if elements.count > 1 {
                switch elements[1] {
                case .null: shape = nil
                case .object(let members) where members.isEmpty: shape = nil
                default: shape = Self(elements[1])
                }
            }
            self = .arrayPath(source: source, shape: shape)
        default:
            self = .directive(name: name, argument: argument)
        }
    }

    /// The node resolved against an event, spending `budget`; `nil` when it resolves to nothing.
    func resolve(in event: JSONValue, slots: [JSONValue?], budget: inout Int) -> JSONValue? {
        guard budget >= 0 else { return nil }
        switch self {
        case .constant(let value, let cost):
            budget -= cost
            return budget >= 0 ? value : nil
        case .object(let members):
            var result: [String: JSONValue] = [:]
            result.reserveCapacity(members.count)
            for member in members {
                budget -= member.cost
                if let resolved = member.node.resolve(in: event, slots: slots, budget: &budget) { result[member.key] = resolved }
            }
            return budget >= 0 ? .object(result) : nil
        case .array(let elements):
            var result: [JSONValue] = []
            result.reserveCapacity(elements.count)
            for element in elements {
                budget -= 1
                if let resolved = element.resolve(in: event, slots: slots, budget: &budget) { result.append(resolved) }
            }
            return budget >= 0 ? .array(result) : nil
        case .malformed:
            return nil
        case .read(let path):
            return Self.read(path, in: event, budget: &budget)
        case .readSlot(let slot):
            return slots[slot].flatMap { Mapping.spend($0, &budget) }
        default:
            // A byte per directive: `@merge` of two `@merge`s of two ... doubles the work per level, and its empty
            // objects would otherwise cost nothing.
            budget -= 1
            return resolveDirective(in: event, slots: slots, budget: &budget)
        }
    }

    /// A directive node resolved, its byte already spent.
    func resolveDirective(in event: JSONValue, slots: [JSONValue?], budget: inout Int) -> JSONValue? {
        switch self {
        case .path(let path):
            return Self.read(path, in: event, budget: &budget)
        case .template(let template):
            guard let rendered = template.render(event, limit: budget) else {
                budget = -1
                return nil
            }
            return Mapping.spend(.string(rendered), &budget)
        case .literal(let node):
            return node.resolve(in: event, slots: slots, budget: &budget)
        case .condition(let options):
            let value = options.condition.resolve(in: event, slots: slots, budget: &budget)
            // `value != ''` in JavaScript for `blank`: 0, false and [] are blank too.
            let holds = value != nil && value != .null && !(options.blank && JavaScript.looselyEqualsEmptyString(value!))
            if holds, let then = options.then { return then.resolve(in: event, slots: slots, budget: &budget) }
            if !holds, let otherwise = options.otherwise { return otherwise.resolve(in: event, slots: slots, budget: &budget) }
            return nil
        case .arrayPath(let source, let shape):
            let items: [JSONValue]
            switch source.resolve(in: event, slots: slots, budget: &budget) {
            case nil, .null?: return nil
            case .array(let array)?: items = array
            case let single?: items = [single]
            }
            guard let shape else { return .array(items) }
            // The elements were paid for when the path was read; each shape is paid for again.
            var shaped: [JSONValue] = []
            for item in items {
                guard budget >= 0 else { return nil }
                if let resolved = shape.resolve(in: item, slots: slots, budget: &budget) { shaped.append(resolved) }
            }
            return budget >= 0 ? .array(shaped) : nil
        case .slot(let slot):
            return slots[slot].flatMap { Mapping.spend($0, &budget) }
        case .directive(let name, let argument):
            return Mapping.resolveDirective(name, argument, in: event, budget: &budget)
        case .unresolvable, .constant, .object, .array, .malformed, .read, .readSlot:
            return nil
        }
    }

    /// Adds the first keys of the paths this node reads from the event to `members`, other than those its slots read
    /// (the ``PathTree``'s); `false` when it may read the whole event.
    func collectMembers(into members: inout Set<String>) -> Bool {
        switch self {
        case .constant, .malformed, .unresolvable, .slot, .readSlot, .path(nil), .read(nil):
            return true
        case .path(let path?), .read(let path?):
            guard let first = path.keys.first else { return false }
            members.insert(first)
            return true
        case .template(let template):
            for case .placeholder(let path?, _) in template.parts {
                guard let first = path.keys.first else { return false }
                members.insert(first)
            }
            return true
        case .literal(let node):
            return node.collectMembers(into: &members)
        case .condition(let options):
            return [options.condition, options.then, options.otherwise].allSatisfy { $0?.collectMembers(into: &members) ?? true }
        case .object(let children):
            return children.allSatisfy { $0.node.collectMembers(into: &members) }
        case .array(let elements):
            return elements.allSatisfy { $0.collectMembers(into: &members) }
        case .arrayPath(let source, _):
            // The shape reads each element, not the event.
            return source.collectMembers(into: &members)
        case .directive:
            return false
        }
    }

    /// The node with each path read from the event's root (not an `@arrayPath` shape's, read from its elements) taken
    /// from a slot that `paths` fills once per event.
    func reading(from paths: inout PathTree) -> Self {
        switch self {
        case .path(let path?): return .slot(paths.slot(for: path))
        case .read(let path?): return .readSlot(paths.slot(for: path))
        case .object(let members):
            return .object(members.map { CompiledMapping.Member(key: $0.key, cost: $0.cost, node: $0.node.reading(from: &paths)) })
        case .array(let elements): return .array(elements.map { $0.reading(from: &paths) })
        case .literal(let node): return .literal(node.reading(from: &paths))
        case .condition(let options):
            return .condition(
                CompiledMapping.Condition(
                    blank: options.blank, condition: options.condition.reading(from: &paths), then: options.then?.reading(from: &paths),
                    otherwise: options.otherwise?.reading(from: &paths)))
        case .arrayPath(let source, let shape): return .arrayPath(source: source.reading(from: &paths), shape: shape)
        default: return self
        }
    }

    /// The value at a path, paid for; `nil` when the path does not parse or the event has nothing there.
    private static func read(_ path: MappingPath?, in event: JSONValue, budget: inout Int) -> JSONValue? {
        guard let value = path?.value(in: event) else { return nil }
        return Mapping.spend(value, &budget)
    }
}

/// The paths a compiled mapping reads from the event's root, as a tree: each object on the way is looked up once per
/// event however many paths pass through it (Amplitude's Track Calls preset reads 55 paths, 20 of them under
/// `context`), and the paths under a missing member are not looked up at all.
struct PathTree: Sendable {
    /// A key of a path, what follows it, and the slot of the path that ends there.
    struct Branch: Sendable {
        let key: String
        /// The key as an array index (``JavaScript/arrayIndex(_:)``), as ``MappingPath/value(in:)`` reads arrays.
        let index: Int?
        var slot: Int?
        var children: [Branch] = []
    }

    private var root = Branch(key: "", index: nil)
    /// How many slots there are.
    private(set) var count = 0

    /// The top-level members of an event that these paths and `nodes` (compiled against them) read, or `nil` when
    /// they may read the whole event (``CompiledMapping/eventMembers``).
    func eventMembers(of nodes: [CompiledMapping.Node]) -> Set<String>? {
        guard root.slot == nil else { return nil }
        var members = Set(root.children.map(\.key))
        return nodes.allSatisfy { $0.collectMembers(into: &members) } ? members : nil
    }

    /// Whether `slot` holds the event itself.
    func isRoot(_ slot: Int) -> Bool {
        root.slot == slot
    }

    /// The slot of a path, added when new.
    mutating func slot(for path: MappingPath) -> Int {
        Self.insert(path.keys[...], into: &root, count: &count)
    }

    private static func insert(_ keys: ArraySlice<String>, into branch: inout Branch, count: inout Int) -> Int {
        guard let key = keys.first else {
            if let slot = branch.slot { return slot }
            branch.slot = count
            count += 1
            return count - 1
        }
        if let i = branch.children.firstIndex(where: { $0.key == key }) {
            return insert(keys.dropFirst(), into: &branch.children[i], count: &count)
        }
        var child = Branch(key: key, index: JavaScript.arrayIndex(key))
        let slot = insert(keys.dropFirst(), into: &child, count: &count)
        branch.children.append(child)
        return slot
    }

    /// Each path's value in an event, by slot; `nil` where the event has nothing there.
    func values(in event: JSONValue) -> [JSONValue?] {
        guard count > 0 else { return [] }
        var values = [JSONValue?](repeating: nil, count: count)
        Self.fill(event, root, &values)
        return values
    }

    private static func fill(_ value: JSONValue, _ branch: Branch, _ values: inout [JSONValue?]) {
        if let slot = branch.slot { values[slot] = value }
        guard !branch.children.isEmpty else { return }
        switch value {
        case .object(let members):
            for child in branch.children {
                if let next = members[child.key] { fill(next, child, &values) }
            }
        case .array(let elements):
            for child in branch.children {
                if let index = child.index, index < elements.count { fill(elements[index], child, &values) }
            }
        default:
            return
        }
    }
}

extension Mapping {
    /// A subscription's settings compiled once for many events: each field's ``CompiledMapping``, in key order.
    ///
    /// The fields share one output budget, spent in key order, so that which fields a too-large event loses does not
    /// depend on dictionary order.
    public struct CompiledSettings: Sendable {
        /// The settings' keys, sorted.
        public let keys: [String]
        let nodes: [CompiledMapping.Node]
        let paths: PathTree

        /// Compiles settings as ``ActionSettings/validate(_:fields:enabled:otherFields:)`` stored them.
        public init(_ settings: [String: JSONValue]) {
            let sorted = settings.sorted { $0.key < $1.key }
            keys = sorted.map(\.key)
            var paths = PathTree()
            nodes = sorted.map { CompiledMapping.Node($0.value).reading(from: &paths) }
            self.paths = paths
        }

        /// The top-level members of an event that resolving these settings reads, or `nil` when they may read any of
        /// them (``CompiledMapping/eventMembers``).
        public var eventMembers: Set<String>? {
            paths.eventMembers(of: nodes)
        }

        /// Each field's value for an event, in the order of ``keys``; `nil` where the field resolves to nothing.
        public func values(in event: JSONValue) -> [JSONValue?] {
            var budget = Mapping.maxResolvedBytes
            let slots = paths.values(in: event)
            return nodes.map { $0.resolve(in: event, slots: slots, budget: &budget) }
        }

        /// The action's input for an event: one value per field that has one.
        public func resolve(in event: JSONValue) -> [String: JSONValue] {
            var result: [String: JSONValue] = [:]
            result.reserveCapacity(keys.count)
            for (key, value) in zip(keys, values(in: event)) where value != nil { result[key] = value }
            return result
        }
    }
}
