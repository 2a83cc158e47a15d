# sweep_db.sh — shell helpers the sweep tests source (sweep.sh,
# sweep_soak.sh) to compare and check databases with the sqlite3 CLI.

# Every stored row, ordered, for comparing databases (runs and sweeps
# record when and how, so they are left out).
dump() {
  sqlite3 "$1" "
    SELECT * FROM points ORDER BY key;
    SELECT * FROM point_buffers ORDER BY key, buffer;
    SELECT * FROM layers ORDER BY key, idx;
    SELECT * FROM layer_buffers ORDER BY key, idx, buffer;
    SELECT key, config, status, note, accuracy, correct, images,
           accuracy_source, weights_fnv1a64 FROM models ORDER BY key;
    SELECT * FROM model_layers ORDER BY key, layer;"
}
count() { sqlite3 "$1" "SELECT count(*) FROM points" 2>/dev/null || echo 0; }
integrity() { test "$(sqlite3 "$1" 'PRAGMA integrity_check' 2>&1)" = ok; }
