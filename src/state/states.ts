/**
 * The 50 states, DC and the territories as printed on their plates: the name and the slogans,
 * nicknames and web addresses that appear on current and recent issues. Words shared by many
 * states ("STATE", "AMERICA") are not evidence on their own and are only listed inside a
 * longer phrase.
 */
export interface StateInfo {
  code: string;
  name: string;
  /** Phrases printed on the state's plates besides its name (upper case). */
  words: string[];
}

export const STATES: readonly StateInfo[] = [
  { code: 'AL', name: 'ALABAMA', words: ['STARS FELL ON ALABAMA', 'HEART OF DIXIE', 'SWEET HOME ALABAMA'] },
  {
    code: 'AK',
    name: 'ALASKA',
    words: ['THE LAST FRONTIER', 'NORTH TO THE FUTURE', 'CELEBRATING STATEHOOD'],
  },
  { code: 'AZ', name: 'ARIZONA', words: ['GRAND CANYON STATE'] },
  { code: 'AR', name: 'ARKANSAS', words: ['THE NATURAL STATE', 'LAND OF OPPORTUNITY'] },
  { code: 'CA', name: 'CALIFORNIA', words: ['DMV CA GOV', 'GOLDEN STATE'] },
  { code: 'CO', name: 'COLORADO', words: ['CENTENNIAL STATE'] },
  { code: 'CT', name: 'CONNECTICUT', words: ['CONSTITUTION STATE', 'PRESERVE THE SOUND'] },
  { code: 'DE', name: 'DELAWARE', words: ['THE FIRST STATE'] },
  {
    code: 'DC',
    name: 'WASHINGTON DC',
    words: [
      'DISTRICT OF COLUMBIA',
      'TAXATION WITHOUT REPRESENTATION',
      'END TAXATION',
      'CELEBRATE AND DISCOVER',
    ],
  },
  { code: 'FL', name: 'FLORIDA', words: ['MYFLORIDA COM', 'SUNSHINE STATE'] },
  { code: 'GA', name: 'GEORGIA', words: ['PEACH STATE', 'GEORGIA GOV'] },
  { code: 'HI', name: 'HAWAII', words: ['ALOHA STATE'] },
  { code: 'ID', name: 'IDAHO', words: ['FAMOUS POTATOES', 'SCENIC IDAHO', 'DISCOVER IDAHO', 'GEM STATE'] },
  { code: 'IL', name: 'ILLINOIS', words: ['LAND OF LINCOLN'] },
  {
    code: 'IN',
    name: 'INDIANA',
    words: ['CROSSROADS OF AMERICA', 'HOOSIER STATE', 'IN GOD WE TRUST INDIANA'],
  },
  { code: 'IA', name: 'IOWA', words: ['IOWA COUNTY'] },
  { code: 'KS', name: 'KANSAS', words: ['SUNFLOWER STATE'] },
  {
    code: 'KY',
    name: 'KENTUCKY',
    words: ['KENTUCKY UNBRIDLED SPIRIT', 'BLUEGRASS STATE', 'UNBRIDLED SPIRIT'],
  },
  { code: 'LA', name: 'LOUISIANA', words: ['SPORTSMANS PARADISE', 'BAYOU STATE', 'PELICAN STATE'] },
  { code: 'ME', name: 'MAINE', words: ['VACATIONLAND', 'PINE TREE STATE'] },
  { code: 'MD', name: 'MARYLAND', words: ['MARYLAND GOV', 'TREASURE THE CHESAPEAKE'] },
  { code: 'MA', name: 'MASSACHUSETTS', words: ['THE SPIRIT OF AMERICA', 'SPIRIT OF AMERICA'] },
  {
    code: 'MI',
    name: 'MICHIGAN',
    words: ['PURE MICHIGAN', 'GREAT LAKES', 'GREAT LAKE STATE', 'WATER WINTER WONDERLAND'],
  },
  { code: 'MN', name: 'MINNESOTA', words: ['EXPLORE MINNESOTA', '10000 LAKES'] },
  { code: 'MS', name: 'MISSISSIPPI', words: ['THE MAGNOLIA STATE', 'BIRTHPLACE OF AMERICAS MUSIC'] },
  { code: 'MO', name: 'MISSOURI', words: ['SHOW ME STATE'] },
  { code: 'MT', name: 'MONTANA', words: ['BIG SKY', 'BIG SKY COUNTRY', 'TREASURE STATE'] },
  { code: 'NE', name: 'NEBRASKA', words: ['THE GOOD LIFE', 'CORNHUSKER STATE'] },
  { code: 'NV', name: 'NEVADA', words: ['SILVER STATE', 'HOME MEANS NEVADA', 'BATTLE BORN'] },
  { code: 'NH', name: 'NEW HAMPSHIRE', words: ['LIVE FREE OR DIE', 'GRANITE STATE'] },
  { code: 'NJ', name: 'NEW JERSEY', words: ['GARDEN STATE', 'CROSSROADS OF THE REVOLUTION'] },
  { code: 'NM', name: 'NEW MEXICO', words: ['LAND OF ENCHANTMENT', 'USA NEW MEXICO'] },
  { code: 'NY', name: 'NEW YORK', words: ['EMPIRE STATE', 'THE EMPIRE STATE', 'EXCELSIOR'] },
  { code: 'NC', name: 'NORTH CAROLINA', words: ['FIRST IN FLIGHT', 'FIRST IN FREEDOM', 'TAR HEEL STATE'] },
  { code: 'ND', name: 'NORTH DAKOTA', words: ['PEACE GARDEN STATE', 'DISCOVER THE SPIRIT', 'LEGENDARY'] },
  { code: 'OH', name: 'OHIO', words: ['BIRTHPLACE OF AVIATION', 'OF AVIATION', 'BUCKEYE STATE', 'OHIO GOV'] },
  {
    code: 'OK',
    name: 'OKLAHOMA',
    words: ['NATIVE AMERICA', 'OK LAHOMA', 'EXPLORE OKLAHOMA', 'TRAVELOK COM'],
  },
  { code: 'OR', name: 'OREGON', words: ['BEAVER STATE', 'PACIFIC WONDERLAND', 'CRATER LAKE'] },
  { code: 'PA', name: 'PENNSYLVANIA', words: ['VISITPA COM', 'KEYSTONE STATE', 'VISITPA'] },
  { code: 'RI', name: 'RHODE ISLAND', words: ['OCEAN STATE'] },
  {
    code: 'SC',
    name: 'SOUTH CAROLINA',
    words: ['WHILE I BREATHE I HOPE', 'TRAVEL2SC COM', 'PALMETTO STATE'],
  },
  {
    code: 'SD',
    name: 'SOUTH DAKOTA',
    words: ['GREAT FACES GREAT PLACES', 'MOUNT RUSHMORE STATE', 'GREAT FACES'],
  },
  { code: 'TN', name: 'TENNESSEE', words: ['TNVACATION COM', 'VOLUNTEER STATE', 'SOUNDS GOOD TO ME'] },
  { code: 'TX', name: 'TEXAS', words: ['LONE STAR STATE', 'THE LONE STAR STATE'] },
  { code: 'UT', name: 'UTAH', words: ['LIFE ELEVATED', 'GREATEST SNOW ON EARTH', 'BEEHIVE STATE'] },
  { code: 'VT', name: 'VERMONT', words: ['GREEN MOUNTAIN STATE', 'GREEN MOUNTAINS'] },
  {
    code: 'VA',
    name: 'VIRGINIA',
    words: ['VIRGINIA IS FOR LOVERS', 'OLD DOMINION', '400TH ANNIVERSARY', 'JAMESTOWN'],
  },
  { code: 'WA', name: 'WASHINGTON', words: ['EVERGREEN STATE'] },
  { code: 'WV', name: 'WEST VIRGINIA', words: ['WILD WONDERFUL', 'MOUNTAIN STATE', 'ALMOST HEAVEN'] },
  { code: 'WI', name: 'WISCONSIN', words: ['AMERICAS DAIRYLAND', 'DAIRYLAND', 'BADGER STATE'] },
  { code: 'WY', name: 'WYOMING', words: ['EQUALITY STATE', 'COWBOY STATE'] },
  { code: 'PR', name: 'PUERTO RICO', words: ['ISLA DEL ENCANTO', 'ISLA ENCANTO'] },
  { code: 'GU', name: 'GUAM', words: ['HAFA ADAI', 'WHERE AMERICAS DAY BEGINS', 'TANO Y CHAMORRO'] },
  { code: 'VI', name: 'VIRGIN ISLANDS', words: ['UNITED STATES VIRGIN ISLANDS', 'AMERICAN PARADISE'] },
  { code: 'AS', name: 'AMERICAN SAMOA', words: ['MOTU O FIAFIAGA'] },
  { code: 'MP', name: 'NORTHERN MARIANA ISLANDS', words: ['CNMI'] },
];

export const STATE_CODES: readonly string[] = STATES.map((s) => s.code);
