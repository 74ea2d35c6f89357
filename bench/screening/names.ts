/**
 * Common given names and surnames from many countries, embedded so the bench needs no download.
 * Ordinary people's names: the bench pairs them at random and screens the result as names that
 * are NOT on the lists (after removing the pairs that are, see labelled-set.ts).
 */
export const givenNames = [
  // English
  'James', 'John', 'Robert', 'Michael', 'William', 'David', 'Richard', 'Joseph', 'Thomas', 'Charles', 'Mary', 'Patricia', 'Jennifer',
  'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'Sarah', 'Karen', 'Emily', 'Oliver', 'Harry', 'Charlotte', 'Amelia',
  // German, Dutch, Nordic
  'Lukas', 'Jonas', 'Felix', 'Anna', 'Lena', 'Sophie', 'Hannah', 'Jan', 'Sanne', 'Lars', 'Ingrid', 'Astrid', 'Matthias', 'Katharina',
  // French, Italian
  'Camille', 'Louis', 'Gabriel', 'Chloé', 'Manon', 'Théo', 'Giulia', 'Francesca', 'Lorenzo', 'Matteo', 'Alessandro', 'Chiara',
  // Spanish, Portuguese
  'José', 'Lucía', 'Sofía', 'Martina', 'Javier', 'Carmen', 'Pablo', 'Alejandro', 'João', 'Beatriz', 'Rafael', 'Inês',
  // Polish, Czech, Russian, Ukrainian
  'Piotr', 'Katarzyna', 'Tomasz', 'Agnieszka', 'Jakub', 'Tereza', 'Dmitri', 'Olga', 'Natalia', 'Andriy', 'Oksana', 'Sergei',
  // Greek, Turkish
  'Georgios', 'Eleni', 'Konstantinos', 'Mehmet', 'Ayşe', 'Emre', 'Zeynep', 'Burak',
  // Chinese, Japanese, Korean, Vietnamese
  'Wei', 'Fang', 'Jing', 'Xiaoming', 'Yuki', 'Haruto', 'Sakura', 'Takeshi', 'Minjun', 'Seoyeon', 'Jiwoo', 'Linh', 'Minh', 'Thanh',
  // South Asian
  'Aarav', 'Priya', 'Rahul', 'Ananya', 'Vikram', 'Deepika', 'Arjun', 'Sanjay', 'Kavya', 'Rohan',
  // African
  'Chinedu', 'Ngozi', 'Kwame', 'Ama', 'Thabo', 'Lerato', 'Wanjiru', 'Kofi', 'Amara', 'Tendai',
  // Latin American, Brazilian
  'Mateo', 'Valentina', 'Santiago', 'Camila', 'Thiago', 'Larissa', 'Gustavo', 'Fernanda',
] as const;

export const surnames = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor', 'Moore', 'Jackson', 'Thompson',
  'White', 'Harris', 'Clark', 'Lewis', 'Walker', 'Hall', 'Young', 'Wright', 'Hughes', 'Cooper',
  'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann', 'de Vries', 'Jansen', 'Bakker',
  'Andersson', 'Johansson', 'Nielsen', 'Hansen', 'Virtanen',
  'Martin', 'Bernard', 'Dubois', 'Moreau', 'Laurent', 'Lefèvre', 'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano',
  'González', 'Rodríguez', 'Fernández', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Silva', 'Santos', 'Oliveira', 'Souza',
  'Nowak', 'Kowalski', 'Wiśniewski', 'Novák', 'Dvořák', 'Ivanova', 'Smirnov', 'Kuznetsov', 'Shevchenko', 'Kovalenko',
  'Papadopoulos', 'Yılmaz', 'Kaya', 'Demir', 'Şahin',
  'Wang', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Sato', 'Suzuki', 'Takahashi', 'Tanaka', 'Watanabe', 'Kim', 'Lee', 'Park',
  'Choi', 'Nguyen', 'Tran', 'Pham',
  'Sharma', 'Patel', 'Gupta', 'Singh', 'Kumar', 'Reddy', 'Iyer', 'Nair',
  'Okafor', 'Adeyemi', 'Mensah', 'Owusu', 'Nkosi', 'Dlamini', 'Mwangi', 'Otieno', 'Moyo',
  'Ramírez', 'Torres', 'Flores', 'Rivera', 'Castillo', 'Vargas', 'Mendoza', 'Rojas', 'Costa', 'Pereira',
] as const;
