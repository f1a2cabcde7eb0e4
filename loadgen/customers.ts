/**
 * The load's customers: a fixed pool, so one customer places many orders over a run (as in life) and
 * the notification and analytics consumers see repeat customers. The demo customers come first, with
 * the locale `make seed` gave them; the rest are generated, most of them Korean, some in the UK and
 * the US. Names and addresses are plausible, never real people: Korean addresses are road-name
 * addresses in Hangul with the 5-digit 국가기초구역 postal code of their district.
 */
import type { OrderRequest } from '../platform/contracts/order.js';
import { demoCustomers, UNDELIVERABLE_POSTAL_CODES } from '../platform/contracts/demo-triggers.js';
import { chooseWeighted, integerBetween, pickOne, type Random } from './random.js';

export type ShippingAddress = OrderRequest['shippingAddress'];

export interface LoadCustomer {
  customerId: string;
  locale: 'ko' | 'en';
  name: string;
  home: ShippingAddress;
}

/** Korean family names, weighted roughly by how common they are. */
const koreanFamilyNames = [
  { value: '김', weight: 21 },
  { value: '이', weight: 15 },
  { value: '박', weight: 8 },
  { value: '최', weight: 5 },
  { value: '정', weight: 4 },
  { value: '강', weight: 2 },
  { value: '조', weight: 2 },
  { value: '윤', weight: 2 },
  { value: '장', weight: 2 },
  { value: '임', weight: 2 },
  { value: '한', weight: 1 },
  { value: '오', weight: 1 },
  { value: '서', weight: 1 },
  { value: '신', weight: 1 },
  { value: '권', weight: 1 },
];
const koreanGivenNames = [
  '민준',
  '서연',
  '도윤',
  '하은',
  '지호',
  '수아',
  '예준',
  '지우',
  '시우',
  '서윤',
  '주원',
  '하윤',
  '지훈',
  '은서',
  '현우',
  '지민',
  '건우',
  '채원',
  '유진',
  '다은',
];
const romanisedFamily: Record<string, string> = { kim: '김', lee: '이', park: '박' };

/** Districts with real road names and the postal-code range of the district. */
const koreanDistricts: { city: string; district: string; roads: string[]; postal: [number, number] }[] = [
  { city: '서울특별시', district: '강남구', roads: ['테헤란로', '강남대로', '도산대로', '봉은사로'], postal: [6000, 6399] },
  { city: '서울특별시', district: '종로구', roads: ['종로', '율곡로', '삼일대로'], postal: [3000, 3199] },
  { city: '서울특별시', district: '마포구', roads: ['월드컵북로', '양화로', '독막로'], postal: [3900, 4199] },
  { city: '서울특별시', district: '송파구', roads: ['올림픽로', '송파대로', '위례성대로'], postal: [5500, 5899] },
  { city: '서울특별시', district: '영등포구', roads: ['여의대로', '국제금융로', '영등포로'], postal: [7200, 7499] },
  { city: '부산광역시', district: '해운대구', roads: ['해운대해변로', '센텀중앙로', '좌동순환로'], postal: [48000, 48199] },
  { city: '부산광역시', district: '부산진구', roads: ['중앙대로', '서면로', '전포대로'], postal: [47100, 47399] },
  { city: '부산광역시', district: '수영구', roads: ['광안해변로', '수영로'], postal: [48200, 48399] },
  { city: '인천광역시', district: '연수구', roads: ['컨벤시아대로', '송도과학로'], postal: [21900, 22099] },
  { city: '대구광역시', district: '수성구', roads: ['달구벌대로', '동대구로'], postal: [42000, 42299] },
  { city: '대전광역시', district: '유성구', roads: ['대학로', '엑스포로'], postal: [34100, 34199] },
  { city: '광주광역시', district: '동구', roads: ['금남로', '제봉로'], postal: [61400, 61499] },
  { city: '제주특별자치도', district: '제주시', roads: ['노형로', '연북로'], postal: [63000, 63399] },
];

const englishGivenNames = [
  'Olivia',
  'Amelia',
  'Isla',
  'Ava',
  'Oliver',
  'George',
  'Noah',
  'Arthur',
  'Emma',
  'Liam',
  'Sophia',
  'James',
  'Charlotte',
  'Lucas',
  'Mia',
  'Ethan',
];
const englishFamilyNames = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Taylor',
  'Davies',
  'Wilson',
  'Evans',
  'Thomas',
  'Garcia',
  'Miller',
  'Martin',
  'Clarke',
];

const ukStreets = [
  'High Street',
  'Station Road',
  'Church Lane',
  'Victoria Road',
  'Park Avenue',
  'Queen Street',
  'Mill Lane',
  'King Street',
];
/** UK towns with some of their real outward codes; the inward part is generated. */
const ukTowns: { city: string; outward: string[] }[] = [
  { city: 'London', outward: ['SW1A', 'EC1A', 'W1D', 'N1', 'SE1', 'E14'] },
  { city: 'Manchester', outward: ['M1', 'M4', 'M15'] },
  { city: 'Edinburgh', outward: ['EH1', 'EH3', 'EH8'] },
  { city: 'Bristol', outward: ['BS1', 'BS8'] },
  { city: 'Leeds', outward: ['LS1', 'LS6'] },
];
/** Letters a UK inward code uses (C, I, K, M, O and V never appear there). */
const ukInwardLetters = 'ABDEFGHJLNPQRSTUWXYZ';

const usStreets = ['Main Street', 'Oak Avenue', 'Maple Drive', 'Broadway', 'Pine Street', 'Market Street', 'Elm Street', '5th Avenue'];
const usCities: { city: string; zip: [number, number] }[] = [
  { city: 'New York, NY', zip: [10001, 10282] },
  { city: 'San Francisco, CA', zip: [94102, 94134] },
  { city: 'Seattle, WA', zip: [98101, 98199] },
  { city: 'Chicago, IL', zip: [60601, 60661] },
  { city: 'Austin, TX', zip: [78701, 78759] },
  { city: 'Boston, MA', zip: [2108, 2137] },
];

function fiveDigits(random: Random, [low, high]: [number, number]): string {
  for (;;) {
    const code = String(integerBetween(random, low, high)).padStart(5, '0');
    // A load order only ends FAILED at fulfillment when its scenario asks for it.
    if (!UNDELIVERABLE_POSTAL_CODES.has(code)) return code;
  }
}

export function koreanAddress(random: Random, name: string): ShippingAddress {
  const place = pickOne(random, koreanDistricts);
  const building = integerBetween(random, 1, 420);
  // Half the customers live in an apartment block: 동 and 호 after the road address.
  const unit =
    random() < 0.5 ? ` ${integerBetween(random, 101, 120)}동 ${integerBetween(random, 1, 25)}0${integerBetween(random, 1, 6)}호` : '';
  return {
    name,
    line1: `${place.district} ${pickOne(random, place.roads)} ${building}${unit}`,
    city: place.city,
    postalCode: fiveDigits(random, place.postal),
    country: 'KR',
  };
}

export function englishAddress(random: Random, name: string, country: 'GB' | 'US'): ShippingAddress {
  if (country === 'GB') {
    const town = pickOne(random, ukTowns);
    const inward = `${integerBetween(random, 0, 9)}${pickOne(random, [...ukInwardLetters])}${pickOne(random, [...ukInwardLetters])}`;
    return {
      name,
      line1: `${integerBetween(random, 1, 240)} ${pickOne(random, ukStreets)}`,
      city: town.city,
      postalCode: `${pickOne(random, town.outward)} ${inward}`,
      country,
    };
  }
  const place = pickOne(random, usCities);
  return {
    name,
    line1: `${integerBetween(random, 1, 9_800)} ${pickOne(random, usStreets)}`,
    city: place.city,
    postalCode: fiveDigits(random, place.zip),
    country,
  };
}

function customerAt(index: number, random: Random): LoadCustomer {
  const demo = demoCustomers[index];
  const customerId = demo?.customerId ?? `cust-load-${String(index + 1).padStart(4, '0')}`;
  const locale = demo?.locale ?? (random() < 0.7 ? 'ko' : 'en');
  // The demo customers' ids carry their family names (cust-kim, cust-smith): keep the two in step.
  const idName = demo?.customerId.replace(/^cust-/, '');
  if (locale === 'ko') {
    const family = (idName && romanisedFamily[idName]) ?? chooseWeighted(koreanFamilyNames, random());
    const name = `${family}${pickOne(random, koreanGivenNames)}`;
    return { customerId, locale, name, home: koreanAddress(random, name) };
  }
  const family = idName ? idName.charAt(0).toUpperCase() + idName.slice(1) : pickOne(random, englishFamilyNames);
  const name = `${pickOne(random, englishGivenNames)} ${family}`;
  return { customerId, locale, name, home: englishAddress(random, name, random() < 0.5 ? 'GB' : 'US') };
}

/** `size` customers: the demo customers first, then generated ones (the same ones for the same seed). */
export function customerPool(size: number, random: Random): LoadCustomer[] {
  return Array.from({ length: size }, (_, index) => customerAt(index, random));
}

/** Where this order goes: mostly home, sometimes another address in the same country (office, a gift). */
export function shippingAddressFor(customer: LoadCustomer, random: Random): ShippingAddress {
  if (random() < 0.8) return customer.home;
  const { country, name } = customer.home;
  return country === 'KR' ? koreanAddress(random, name) : englishAddress(random, name, country === 'GB' ? 'GB' : 'US');
}
