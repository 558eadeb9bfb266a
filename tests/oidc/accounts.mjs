// Test identities of the FranceConnect-like provider (see README.md).
//
// The key of each entry is the value of the `login` form field on the login page and the
// provider's internal account id (never shown to a client: clients only see a pairwise `sub`).
// Claims follow FranceConnect v2: `birthplace` is an INSEE commune code ("" when born abroad),
// `birthcountry` an INSEE country code (99100 = France), `preferred_username` the usage name
// ("" when the person has none), `gender` "female" or "male", `birthdate` YYYY-MM-DD.
//
// `behaviour` selects what the provider does when that account signs in:
//   normal       ID token with acr "eidas1" (FranceConnect's level, whatever acr_values asked)
//   low-acr      ID token with acr "eidas0", whatever was asked for
//   no-acr       ID token without any acr claim
//   short-lived  ID token whose exp is iat + 2 seconds
//   expired      ID token that had already expired when issued (exp = now - 600 s)
//   deny         no sign-in: the flow ends at the callback with error=access_denied

const person = (given_name, family_name, preferred_username, gender, birthdate, birthplace, birthcountry, email) => ({
  given_name, family_name, preferred_username, gender, birthdate, birthplace, birthcountry, email,
});

export const ACCOUNTS = new Map(Object.entries({
  angela: {
    behaviour: 'normal',
    claims: person('Angela Claire Louise', 'DUBOIS', '', 'female', '1962-08-24', '75107', '99100', 'angela.dubois@example.fr'),
  },
  pierre: {
    behaviour: 'normal',
    claims: person('Pierre Paul', 'MERCIER', '', 'male', '1969-03-17', '69123', '99100', 'pierre.mercier@example.fr'),
  },
  marie: {
    // Has a usage name (married name) distinct from her birth name.
    behaviour: 'normal',
    claims: person('Marie-Hélène Odette', 'DURAND', 'LEROY', 'female', '1985-06-30', '13055', '99100', 'marie-helene.leroy@example.fr'),
  },
  aicha: {
    // Born abroad: empty birthplace, birthcountry 99350 (Maroc).
    behaviour: 'normal',
    claims: person('Aïcha Fatima', 'BENALI', '', 'female', '1990-11-02', '', '99350', 'aicha.benali@example.fr'),
  },
  'low-acr': {
    behaviour: 'low-acr',
    claims: person('Lucien Marcel', 'BASSE', '', 'male', '1975-01-12', '33063', '99100', 'lucien.basse@example.fr'),
  },
  'no-acr': {
    behaviour: 'no-acr',
    claims: person('Nadine Rose', 'SANSNIVEAU', '', 'female', '1958-12-01', '59350', '99100', 'nadine.sansniveau@example.fr'),
  },
  'short-lived': {
    behaviour: 'short-lived',
    claims: person('Éphémère Jeanne', 'COURTOIS', '', 'female', '2001-04-04', '31555', '99100', 'ephemere.courtois@example.fr'),
  },
  expired: {
    behaviour: 'expired',
    claims: person('Périmé Jules', 'ANCIEN', '', 'male', '1940-02-29', '44109', '99100', 'perime.ancien@example.fr'),
  },
  deny: {
    behaviour: 'deny',
    claims: null,
  },
}));

/** One line describing an account on the login page. */
export function describeAccount(login, account) {
  if (account.behaviour === 'deny') {
    return 'Refuser la connexion (retour au service avec error=access_denied)';
  }
  const c = account.claims;
  const [y, m, d] = c.birthdate.split('-');
  const usage = c.preferred_username ? ` (nom d'usage ${c.preferred_username})` : '';
  const note = account.behaviour === 'normal' ? '' : ` [${account.behaviour}]`;
  return `${c.given_name} ${c.family_name}${usage}, né(e) le ${d}/${m}/${y}${note}`;
}
