// Remembered choices (last team and connection) in localStorage.

function slot(key) {
  return { get: () => localStorage.getItem(key), set: (v) => (v ? localStorage.setItem(key, v) : localStorage.removeItem(key)) };
}
const team = slot("bridge.team");
const connection = slot("bridge.connection");

export const prefs = {
  get team() { return team.get(); },
  set team(v) { team.set(v); },
  get connection() { return connection.get(); },
  set connection(v) { connection.set(v); },
};
