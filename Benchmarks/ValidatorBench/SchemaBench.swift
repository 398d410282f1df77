func schemaBench(_ arguments: [String]) throws { throw BenchNotBuilt(name: "schema") }
struct BenchNotBuilt: Error { var name: String }
