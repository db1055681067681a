fn main() {
    let input = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let example = examples::registry::find("acid::wal_crash").unwrap();
    match (example.run)(&input) {
        Ok(o) => print!("{o}"),
        Err(e) => println!("ERR {e}"),
    }
}
