"""What the tests build their inputs with: one `SnapshotBuilder` (`snapshots`), the network it can take
(`network.Net`), diagnoses derived like `fargate_nb.diagnose` derives them (`diagnoses`), and the
named scenarios the view and report tests share (`view_scenarios`, `report_scenarios`)."""
