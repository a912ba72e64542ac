// Package schema is the upgrade policy both stores apply to the database
// they open: which schema versions this binary upgrades, and on which newer
// ones it may still serve beside the nodes of a newer release.
//
// The rules (docs/OPERATIONS.md, "Upgrades"):
//
//   - A database whose newest migration is older than the engine's oldest
//     supported version (the schema of satsrail 0.1.0) is refused: it was
//     written by a development build, and the upgrade from it is not tested.
//     A satsrail release 0.1.0–0.3.x migrates it first.
//   - A database with migrations this binary does not know is refused unless
//     every one of them is marked additive: a migration file whose header has
//     the line "-- compat: additive" only adds (tables, nullable or defaulted
//     columns, indexes, triggers that keep derived data) and changes nothing
//     an older binary reads or writes, so the previous release's nodes keep
//     serving beside the new ones during a rolling upgrade.
//   - Everything else (dropping, renaming, tightening a constraint, changing
//     what a column means) is a contract migration: unmarked, it makes the
//     older nodes refuse to start and report not ready, and its release notes
//     say to upgrade every node before it is applied (expand/contract: the
//     release before it stops using what it removes).
//
// The package is std only; each store records, per applied migration,
// whether it was additive, and calls Check with what it finds.
package schema
